"""URL map: admin, health, the versioned API, the schema and the web pages."""

from django.contrib import admin
from django.urls import include, path

from cases.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
