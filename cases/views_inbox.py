"""The notification inbox and its unread badge (polled by htmx, so it updates without
reloading). The rows are the ``notifications`` app's inbox deliveries; reading and marking
read go through its selectors and service."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from notifications import selectors as nsel
from notifications import services as nsvc

from .views import CASE_READERS, web_view

PAGE = 50
EVENT_TITLES = {
    "case.booked": "Case booked",
    "case.submitted": "Packet submitted",
    "case.rejected": "Packet rejected: fix and resubmit",
    "case.accepted": "Packet accepted",
    "case.transferred": "Custody transferred",
    "case.released": "Released",
    "placement.requested": "Placement requested",
    "placement.designated": "Placement designated",
    "placement.declined": "Placement declined",
    "placement.cancelled": "Placement cancelled",
    "sla.warning": "Legal clock warning",
    "sla.breached": "Legal limit breached",
}


def _items(request: HttpRequest) -> list[dict]:
    user = request.user
    rows = list(nsel.inbox_for(user).select_related("unit")[:PAGE])
    return [
        {
            "id": row.pk,
            "title": EVENT_TITLES.get(row.event_type, row.event_type),
            "event_type": row.event_type,
            "body": row.message,
            "queue": row.unit.code if row.unit_id else "",
            "created_at": row.created_at,
            "unread": row.read_at is None,
            "url": reverse("web:case", args=[row.case_id])
            if row.case_id and user.role in CASE_READERS
            else "",
            "read_url": reverse("web:inbox-read", args=[row.pk]),
        }
        for row in rows
    ]


@web_view()
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/inbox.html",
        {"items": _items(request), "unread": nsel.unread_count(request.user)},
    )


@web_view()
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/_badge.html", {"unread": nsel.unread_count(request.user)})


@web_view()
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    nsvc.mark_read(delivery_id=pk, actor=request.user)  # OutOfScope → 404
    if request.htmx:
        response = render(request, "cases/_inbox_list.html", {"items": _items(request)})
        # The badge in the bar refreshes at once, not at its next poll.
        response["HX-Trigger"] = "inbox-changed"
        return response
    return redirect("web:inbox")
