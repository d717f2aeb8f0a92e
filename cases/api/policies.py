"""Request policies of the API: JSON answers whatever the Accept header, and per-user rate
limits that leave anonymous callers to the per-address limit."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.throttling import UserRateThrottle


class JSONAnswers(DefaultContentNegotiation):
    """The API speaks JSON only: an odd Accept header gets JSON, not a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PerUserThrottle(UserRateThrottle):
    """``user`` rate per authenticated user; anonymous requests are AnonRateThrottle's."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
