"""Token authentication that reads the user's unit with the token.

Every case endpoint decides the caller's scope from ``user.unit``; DRF's
TokenAuthentication reads the token and the user, and the unit then cost a second round
trip on every request. (A module of its own: DRF imports the authentication classes while
``rest_framework.views`` loads, so this must not import the views.)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class TokenWithUnitAuthentication(TokenAuthentication):
    """DRF's ``TokenAuthentication`` (the same header, errors and OpenAPI scheme), with
    ``user__unit`` in the token query."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__unit").get(key=key)
        except model.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc

        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))

        return (token.user, token)
