"""``GET /api/v1/audit/reads/?case=``: the read-access log, for auditors, in their scope."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from .. import selectors
from ..models import ReadAccess, Role
from ..serializers import ReadAccessOutput
from .base import require_role
from .filters import ReadAccessFilter
from .pagination import KeysetPagination

AUDIT_ROLES = {Role.AUDITOR}


class ReadAccessList(generics.GenericAPIView):
    """Who read which case's detail, narrative or documents, newest first. ``?case=`` names
    a case; a case outside the auditor's scope simply yields nothing."""

    serializer_class = ReadAccessOutput
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]

    filterset_class = ReadAccessFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReadAccess.objects.none()
        require_role(self.request.user, AUDIT_ROLES, "read the read-access log")
        cases = selectors.cases_visible_to(self.request.user).values("pk")
        return ReadAccess.objects.filter(case_id__in=cases).select_related(
            "user", "case", "document"
        )

    @extend_schema(responses=ReadAccessOutput(many=True))
    def get(self, request):
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ReadAccessOutput(page, many=True).data)
