"""A-file documents: sniffed type, size limit, SHA-256, streamed download in scope only."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Document
from tests.factories import book, submitted

from .api_helpers import client_for, error

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SAMPLES = {
    "application/pdf": PDF,
    "image/png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
    "image/tiff": b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64,
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, case, content: bytes, *, name="scan.pdf", kind="i213", **extra):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        f"/api/v1/cases/{case.pk}/documents/",
        {"kind": kind, "file": file},
        format="multipart",
        **extra,
    )


@pytest.mark.parametrize("mime", sorted(SAMPLES))
def test_accepted_types_keep_their_sha256(agent_ept, mime):
    case = book(agent_ept)
    content = SAMPLES[mime]
    response = upload(client_for(agent_ept), case, content, name="x.bin")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == mime
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    document = Document.objects.get(pk=body["id"])
    with document.file.open("rb") as stored:
        assert stored.read() == content


def test_download_streams_the_file_to_users_in_scope(agent_ept, ero_elp, agent_tca):
    case = book(agent_ept)
    doc = upload(client_for(agent_ept), case, PDF).json()
    listing = client_for(ero_elp).get(f"/api/v1/cases/{case.pk}/documents/")
    assert [d["sha256"] for d in listing.json()] == [doc["sha256"]]
    response = client_for(ero_elp).get(doc["download_url"])
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-SHA256"] == doc["sha256"]
    assert "attachment" in response["Content-Disposition"]
    assert f"-i213-{doc['id']}.pdf" in response["Content-Disposition"]
    outsider = client_for(agent_tca).get(doc["download_url"])
    assert outsider.status_code == 404
    assert error(outsider)["code"] == "not_found"


def test_a_document_id_of_another_case_is_404(agent_ept):
    one, two = book(agent_ept), book(agent_ept)
    doc = upload(client_for(agent_ept), one, PDF).json()
    response = client_for(agent_ept).get(f"/api/v1/cases/{two.pk}/documents/{doc['id']}/download/")
    assert response.status_code == 404


def test_too_big_is_refused(agent_ept, settings):
    settings.CAS_MAX_DOCUMENT_BYTES = 100
    case = book(agent_ept)
    response = upload(client_for(agent_ept), case, PDF + b"0" * 200)
    assert response.status_code == 400
    assert "file" in error(response)["fields"]
    assert not Document.objects.exists()


def test_a_request_far_over_the_limit_is_refused_before_reading(agent_ept, settings):
    settings.CAS_MAX_DOCUMENT_BYTES = 100
    case = book(agent_ept)
    response = upload(client_for(agent_ept), case, PDF + b"0" * (128 * 1024))
    assert response.status_code == 400
    assert "larger than" in error(response)["fields"]["file"][0]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, not a scan", "scan.pdf"),
        (b"GIF89a" + b"\x00" * 32, "photo.gif"),
        (b"PK\x03\x04" + b"\x00" * 32, "packet.zip"),
        (b"<html><script>alert(1)</script></html>", "i213.pdf"),
    ],
)
def test_wrong_type_is_refused_whatever_the_name(agent_ept, content, name):
    case = book(agent_ept)
    response = upload(client_for(agent_ept), case, content, name=name)
    assert response.status_code == 400
    assert "file" in error(response)["fields"]
    assert not Document.objects.exists()


def test_empty_file_is_refused(agent_ept):
    case = book(agent_ept)
    response = upload(client_for(agent_ept), case, b"")
    assert response.status_code == 400
    assert "file" in error(response)["fields"]


def test_unknown_kind_and_missing_file_are_400(agent_ept):
    case = book(agent_ept)
    client = client_for(agent_ept)
    assert upload(client, case, PDF, kind="selfie").status_code == 400
    response = client.post(
        f"/api/v1/cases/{case.pk}/documents/", {"kind": "i213"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in error(response)["fields"]


def test_json_upload_is_415(agent_ept):
    case = book(agent_ept)
    response = client_for(agent_ept).post(
        f"/api/v1/cases/{case.pk}/documents/", {"kind": "i213"}, format="json"
    )
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"


def test_no_documents_once_submitted(agent_ept):
    case = submitted(agent_ept)
    response = upload(client_for(agent_ept), case, PDF)
    assert response.status_code == 409
    assert error(response)["code"] == "invalid_transition"


def test_retried_upload_stores_one_document(agent_ept):
    case = book(agent_ept)
    client = client_for(agent_ept)
    first = upload(client, case, PDF, HTTP_IDEMPOTENCY_KEY="doc-1")
    again = upload(client, case, PDF, HTTP_IDEMPOTENCY_KEY="doc-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Document.objects.count() == 1
