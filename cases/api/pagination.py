"""Keyset (cursor) pagination: ``{"results": [...], "next": "<url>" | null}``.

A cursor is the sort key of the last row served, so a page never repeats or skips a row
when cases are booked meanwhile. Two orders are supported: newest first (``-id``), and the
ERO queue order, nearest running due time first (cases without a running clock last).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .. import selectors

NEWEST_FIRST = "newest"
NEAREST_DUE = "due"


class KeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def _decode(self, raw: str | None) -> dict | None:
        if raw is None:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")).decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("id"), int):
                raise ValueError("bad cursor")
            if not 0 <= data["id"] < 2**63:
                raise ValueError("bad cursor")
            if data.get("due") is not None:
                data["due"] = datetime.fromisoformat(data["due"])
            return data
        except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError) as exc:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc

    @staticmethod
    def _encode(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode("ascii")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        cursor = self._decode(request.query_params.get(self.cursor_query_param))
        self.order = getattr(view, "keyset_order", lambda: NEWEST_FIRST)()
        if self.order == NEAREST_DUE:
            queryset = selectors.with_nearest_due(queryset)
            if cursor is not None:
                due, last_id = cursor.get("due"), cursor["id"]
                if due is None:
                    queryset = queryset.filter(nearest_due__isnull=True, id__gt=last_id)
                else:
                    queryset = queryset.filter(
                        Q(nearest_due__gt=due)
                        | Q(nearest_due=due, id__gt=last_id)
                        | Q(nearest_due__isnull=True)
                    )
        else:
            queryset = queryset.order_by("-id")
            if cursor is not None:
                queryset = queryset.filter(id__lt=cursor["id"])
        # Two steps: the page's ids from the case table alone (sorted, with the scope and the
        # filters), then those rows with their relations. Sorting the joined wide rows of a
        # whole queue to keep one page cost PostgreSQL most of an ERO queue request.
        ids = list(queryset.select_related(None).values_list("pk", flat=True)[: size + 1])
        self.has_next = len(ids) > size
        found = {row.pk: row for row in queryset.filter(pk__in=ids[:size])}
        # A row changed by someone else between the two reads is left out of this page.
        self.page = [found[pk] for pk in ids[:size] if pk in found]
        return self.page

    def _next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        last = self.page[-1]
        data: dict = {"id": last.pk}
        if self.order == NEAREST_DUE:
            due = getattr(last, "nearest_due", None)
            data["due"] = due.isoformat() if due else None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(data))

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self._next_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "format": "uri", "nullable": True},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The `next` link's cursor.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (1 to {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
