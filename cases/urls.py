"""API v1 routes of the cases app. Object ids use ``<dbid:...>`` (at most 18 digits), so no
path id can overflow the database's integer column."""

from django.urls import path

from .api import (
    audit,
    auth,
    cases,
    documents,
    schema,  # noqa: F401  (registers the OpenAPI extensions)
)
from .api.converters import DatabaseIdConverter  # noqa: F401  (registers "dbid")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("units/", cases.UnitList.as_view(), name="api-units"),
    path("cases/", cases.CaseListCreate.as_view(), name="api-cases"),
    path("cases/<dbid:pk>/", cases.CaseDetail.as_view(), name="api-case"),
    path("cases/<dbid:pk>/narrative/", cases.NarrativeView.as_view(), name="api-case-narrative"),
    path(
        "cases/<dbid:pk>/documents/",
        documents.DocumentListCreate.as_view(),
        name="api-case-documents",
    ),
    path(
        "cases/<dbid:pk>/documents/<dbid:document_id>/download/",
        documents.DocumentDownload.as_view(),
        name="api-case-document-download",
    ),
    path("cases/<dbid:pk>/submit/", cases.SubmitView.as_view(), name="api-case-submit"),
    path("cases/<dbid:pk>/accept/", cases.AcceptView.as_view(), name="api-case-accept"),
    path("cases/<dbid:pk>/reject/", cases.RejectView.as_view(), name="api-case-reject"),
    path("cases/<dbid:pk>/transfer/", cases.TransferView.as_view(), name="api-case-transfer"),
    path("cases/<dbid:pk>/release/", cases.ReleaseView.as_view(), name="api-case-release"),
    path("cases/<dbid:pk>/history/", cases.HistoryView.as_view(), name="api-case-history"),
    path("audit/reads/", audit.ReadAccessList.as_view(), name="api-audit-reads"),
]
