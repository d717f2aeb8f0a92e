"""The notification inbox and its unread badge (polled by htmx every few seconds).

The inbox rows belong to the ``notifications`` app; until its selectors are installed the
inbox is empty and the badge shows nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .views import web_view


def _unread_count(user) -> int:
    return 0


@web_view()
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/inbox.html", {"items": [], "unread": _unread_count(request.user)})


@web_view()
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/_badge.html", {"unread": _unread_count(request.user)})
