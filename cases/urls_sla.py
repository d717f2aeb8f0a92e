"""API v1 routes of the legal clocks, mounted at ``/api/v1/sla/``."""

from django.urls import path

from . import api_sla

urlpatterns = [
    path("policies/", api_sla.PolicyList.as_view(), name="api-sla-policies"),
    path("breaches/", api_sla.BreachList.as_view(), name="api-sla-breaches"),
    path(
        "longest-in-custody/",
        api_sla.LongestInCustody.as_view(),
        name="api-sla-longest-in-custody",
    ),
    path("clocks/<int:pk>/", api_sla.ClockDetail.as_view(), name="api-sla-clock"),
    path("clocks/<int:pk>/extend/", api_sla.ClockExtend.as_view(), name="api-sla-clock-extend"),
]
