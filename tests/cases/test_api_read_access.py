"""The read-access log: every read of a case's detail, narrative or documents is recorded,
and an auditor can list it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import ReadAccess, Role, Unit
from tests import factories
from tests.factories import book

from .api_helpers import client_for, error

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def test_each_read_is_logged_with_who_what_and_where(agent_ept, ero_elp, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = book(agent_ept)
    document = services.add_document(
        case=case,
        actor=agent_ept,
        kind="i213",
        upload=SimpleUploadedFile("i213.pdf", PDF),
    )
    client = client_for(ero_elp)
    headers = {"HTTP_X_REQUEST_ID": "req-42", "REMOTE_ADDR": "10.1.2.3"}
    client.get(f"/api/v1/cases/{case.pk}/", **headers)
    client.get(f"/api/v1/cases/{case.pk}/narrative/", **headers)
    client.get(f"/api/v1/cases/{case.pk}/documents/", **headers)
    client.get(f"/api/v1/cases/{case.pk}/documents/{document.pk}/download/", **headers)
    rows = list(ReadAccess.objects.order_by("id"))
    assert [r.what for r in rows] == ["detail", "narrative", "documents", "document"]
    assert {(r.user_id, r.case_id, r.ip, r.request_id) for r in rows} == {
        (ero_elp.pk, case.pk, "10.1.2.3", "req-42")
    }
    assert rows[-1].document_id == document.pk


def test_lists_history_and_refused_reads_are_not_logged(agent_ept, agent_tca):
    case = book(agent_ept)
    client_for(agent_ept).get("/api/v1/cases/")
    client_for(agent_ept).get(f"/api/v1/cases/{case.pk}/history/")
    client_for(agent_tca).get(f"/api/v1/cases/{case.pk}/")
    assert not ReadAccess.objects.exists()


def test_auditor_lists_reads_of_a_case_newest_first(agent_ept, ero_elp, auditor_hq):
    case, other = book(agent_ept), book(agent_ept)
    client_for(agent_ept).get(f"/api/v1/cases/{case.pk}/")
    client_for(ero_elp).get(f"/api/v1/cases/{case.pk}/narrative/")
    client_for(ero_elp).get(f"/api/v1/cases/{other.pk}/")
    response = client_for(auditor_hq).get(f"/api/v1/audit/reads/?case={case.pk}")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["user"], r["what"]) for r in results] == [
        (ero_elp.username, "narrative"),
        (agent_ept.username, "detail"),
    ]
    assert results[0]["role"] == "ero_officer"
    assert results[0]["case_number"] == case.case_number
    # The auditor's own reads are logged too.
    client_for(auditor_hq).get(f"/api/v1/cases/{case.pk}/")
    again = client_for(auditor_hq).get(f"/api/v1/audit/reads/?case={case.pk}&user=")
    assert again.json()["results"][0]["user"] == auditor_hq.username


def test_auditor_sees_only_reads_in_scope(agent_ept, reference):
    case = book(agent_ept)
    client_for(agent_ept).get(f"/api/v1/cases/{case.pk}/")
    tucson_auditor = factories.UserFactory(role=Role.AUDITOR, unit=Unit.objects.get(code="TCA"))
    response = client_for(tucson_auditor).get(f"/api/v1/audit/reads/?case={case.pk}")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("who", ["manager_hq", "agent_ept", "ero_elp", "partner"])
def test_only_auditors_read_the_log(request, who):
    user = request.getfixturevalue(who)
    response = client_for(user).get("/api/v1/audit/reads/")
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


def test_bad_case_filter_is_400(auditor_hq):
    for value in ("abc", "0", str(10**30)):
        response = client_for(auditor_hq).get(f"/api/v1/audit/reads/?case={value}")
        assert response.status_code == 400
