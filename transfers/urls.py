"""API v1 routes of the transfers app (included under ``api/v1/``)."""

from django.urls import path

from . import api

urlpatterns = [
    path(
        "cases/<int:pk>/placement-request/",
        api.PlacementRequestCreate.as_view(),
        name="api-placement-request",
    ),
    path(
        "cases/<int:pk>/criminal-history/",
        api.CriminalHistoryView.as_view(),
        name="api-criminal-history",
    ),
    path("cases/<int:pk>/relatives/", api.CaseRelatives.as_view(), name="api-case-relatives"),
    path(
        "subjects/<int:pk>/relatives/",
        api.SubjectRelatives.as_view(),
        name="api-subject-relatives",
    ),
    path("placements/", api.PlacementList.as_view(), name="api-placements"),
    path("placements/<int:pk>/", api.PlacementDetail.as_view(), name="api-placement"),
    path(
        "placements/<int:pk>/designate/",
        api.DesignateView.as_view(),
        name="api-placement-designate",
    ),
    path("placements/<int:pk>/decline/", api.DeclineView.as_view(), name="api-placement-decline"),
    path(
        "placements/<int:pk>/cancel/",
        api.CancelPlacementView.as_view(),
        name="api-placement-cancel",
    ),
    path("care-providers/", api.CareProviderList.as_view(), name="api-care-providers"),
    path("movements/", api.MovementBoard.as_view(), name="api-movements"),
    path("movements/<int:pk>/", api.MovementDetail.as_view(), name="api-movement"),
    path("movements/<int:pk>/depart/", api.DepartView.as_view(), name="api-movement-depart"),
    path("movements/<int:pk>/arrive/", api.ArriveView.as_view(), name="api-movement-arrive"),
    path(
        "movements/<int:pk>/handover/",
        api.HandoverView.as_view(),
        name="api-movement-handover",
    ),
    path(
        "movements/<int:pk>/cancel/",
        api.CancelMovementView.as_view(),
        name="api-movement-cancel",
    ),
    path("contractors/", api.ContractorList.as_view(), name="api-contractors"),
    path(
        "contractors/<slug:code>/invoices/",
        api.InvoiceUpload.as_view(),
        name="api-contractor-invoices",
    ),
    path("invoices/<int:pk>/", api.InvoiceDetail.as_view(), name="api-invoice"),
]
