"""API v1 routes of the cases app."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("units/", api.UnitList.as_view(), name="api-units"),
    path("cases/", api.CaseListCreate.as_view(), name="api-cases"),
    path("cases/<int:pk>/", api.CaseDetail.as_view(), name="api-case"),
    path("cases/<int:pk>/narrative/", api.NarrativeView.as_view(), name="api-case-narrative"),
    path("cases/<int:pk>/submit/", api.SubmitView.as_view(), name="api-case-submit"),
    path("cases/<int:pk>/accept/", api.AcceptView.as_view(), name="api-case-accept"),
    path("cases/<int:pk>/reject/", api.RejectView.as_view(), name="api-case-reject"),
    path("cases/<int:pk>/transfer/", api.TransferView.as_view(), name="api-case-transfer"),
    path("cases/<int:pk>/release/", api.ReleaseView.as_view(), name="api-case-release"),
    path("cases/<int:pk>/history/", api.HistoryView.as_view(), name="api-case-history"),
]
