"""URL map: admin, health, the versioned API, the schema and the web pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("cases.urls")),
    path("api/v1/sla/", include("cases.urls_sla")),
    path("api/v1/", include("transfers.urls")),
    path("api/v1/", include("notifications.urls")),
    path("", include("cases.urls_web")),  # the web pages (cases/urls_web.py)
]

# Failures outside DRF views answer the API's error shape under /api/.
handler400 = "cases.api_errors.bad_request"
handler403 = "cases.api_errors.permission_denied"
handler404 = "cases.api_errors.not_found"
handler500 = "cases.api_errors.server_error"
