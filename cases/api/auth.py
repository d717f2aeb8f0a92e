"""``POST /api/v1/auth/token/``: a username and password for an API token.

Failed logins are counted by django-axes (``authenticate`` with the Django request); a locked
username/address answers 429 ``throttled`` until the cool-off ends.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from ..api_errors import error_body


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=TokenInput,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(django_request, **data.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            raise Throttled(detail="Too many failed logins; try again later.")
        if user is None or not user.is_active:
            return Response(
                error_body("not_authenticated", "Wrong username or password."),
                status=status.HTTP_401_UNAUTHORIZED,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
