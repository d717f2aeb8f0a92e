"""A-file documents: upload (multipart), list, and streamed download, in scope only.

The content is sniffed by the service (PDF, JPEG, PNG, TIFF); the size limit is checked from
the request's length before the body is read, and again on the stored upload.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..exceptions import InvalidInput, OutOfScope
from ..models import Document, ReadAccess
from ..selectors import USBP_ROLES
from ..serializers import DocumentInput, DocumentOutput
from .base import client_ip, require_role, visible_case
from .idempotency import idempotent

# Multipart framing around the file: boundaries, headers and the ``kind`` field.
MULTIPART_OVERHEAD = 64 * 1024


def _too_big() -> InvalidInput:
    limit_mb = settings.CAS_MAX_DOCUMENT_BYTES / (1024 * 1024)
    return InvalidInput({"file": [f"The file is larger than {limit_mb:g} MB."]})


class DocumentListCreate(APIView):
    """The case's A-file documents (reads are logged), and adding one."""

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(responses=DocumentOutput(many=True))
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        services.record_read(
            user=request.user, case=case, what=ReadAccess.What.DOCUMENTS, ip=client_ip(request)
        )
        documents = case.documents.select_related("uploaded_by")
        return Response(DocumentOutput(documents, many=True).data)

    @extend_schema(request={"multipart/form-data": DocumentInput}, responses={201: DocumentOutput})
    @idempotent
    def post(self, request, pk: int):
        case = visible_case(request, pk)
        require_role(request.user, USBP_ROLES, "add documents")
        data = DocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.CAS_MAX_DOCUMENT_BYTES:
            raise _too_big()
        document = services.add_document(
            case=case, actor=request.user, kind=data.validated_data["kind"], upload=upload
        )
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Refuse an oversized upload before its body is spooled to disk.
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.CAS_MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD:
                visible_case(request, kwargs["pk"])
                raise _too_big()


class DocumentDownload(APIView):
    """The stored file, streamed, to users who can see the case (each download is logged)."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its sniffed content type."
            )
        }
    )
    def get(self, request, pk: int, document_id: int):
        case = visible_case(request, pk)
        document = Document.objects.filter(case=case, pk=document_id).first()
        if document is None:
            raise OutOfScope("No such document.")
        services.record_read(
            user=request.user,
            case=case,
            what=ReadAccess.What.DOCUMENT,
            document=document,
            ip=client_ip(request),
        )
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"{case.case_number}-{document.kind}-{document.pk}."
            + services.ALLOWED_DOCUMENT_TYPES.get(document.content_type, "bin"),
            content_type=document.content_type,
        )
        response["X-Content-SHA256"] = document.sha256
        return response
