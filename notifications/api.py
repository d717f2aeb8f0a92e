"""The notification API of API.md (inbox, mark read, unread count, e-mail preference) and the
partner event feed: thin DRF views over the selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.exceptions import InvalidInput, NotPermitted

from . import selectors, services
from .models import Delivery, EmailMode, NotificationPreference

MAX_PAGE = 200
MAX_FEED_PAGE = 1000


class NotificationOutput(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", allow_null=True)
    queue = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["id", "event_type", "case", "created_at", "read_at", "message", "queue"]

    def get_queue(self, obj) -> str | None:
        """The unit whose work queue this item is in (None: addressed to the user)."""
        return obj.unit.code if obj.unit_id else None


class InboxQuery(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, default=50)


class NotificationList(APIView):
    """The caller's inbox (own items and their unit's queue), newest first."""

    @extend_schema(
        parameters=[InboxQuery],
        responses=NotificationOutput(many=True),
    )
    def get(self, request):
        query = InboxQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.inbox_for(request.user).select_related("unit")
        if query.validated_data["unread"]:
            qs = qs.filter(read_at__isnull=True)
        items = qs[: query.validated_data["limit"]]
        return Response(NotificationOutput(items, many=True).data)


class NotificationRead(APIView):
    @extend_schema(request=None, responses=NotificationOutput)
    def post(self, request, pk: int):
        item = services.mark_read(delivery_id=pk, actor=request.user)
        return Response(NotificationOutput(item).data)


class UnreadCount(APIView):
    """What the web badge polls."""

    @extend_schema(
        responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})
    )
    def get(self, request):
        return Response({"unread": selectors.unread_count(request.user)})


class PreferenceInput(serializers.Serializer):
    email_mode = serializers.ChoiceField(choices=EmailMode.choices)


class PreferenceView(APIView):
    """The caller's own e-mail preference: immediate, hourly digest, or off."""

    @extend_schema(responses=PreferenceInput)
    def get(self, request):
        pref = NotificationPreference.objects.filter(user=request.user).first()
        mode = (
            pref.email_mode
            if pref
            else services._setting("NOTIFY_DEFAULT_EMAIL_MODE", EmailMode.IMMEDIATE)
        )
        return Response({"email_mode": mode})

    @extend_schema(request=PreferenceInput, responses=PreferenceInput)
    def put(self, request):
        data = PreferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        pref = services.set_email_mode(user=request.user, mode=data.validated_data["email_mode"])
        return Response({"email_mode": pref.email_mode})


class FeedItem(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    case = serializers.IntegerField(allow_null=True)
    data = serializers.DictField()


class EventFeed(APIView):
    """Events after a cursor, strictly increasing, with no gaps and no duplicates: only ids
    below every still-open writer are served (``selectors.safe_horizon``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="The next_cursor of the last page."),
            OpenApiParameter("limit", int, description=f"At most {MAX_FEED_PAGE}."),
        ],
        responses=inline_serializer(
            "EventFeedPage",
            {"results": FeedItem(many=True), "next_cursor": serializers.CharField()},
        ),
    )
    def get(self, request):
        if request.user.role not in selectors.FEED_ROLES:
            raise NotPermitted("Only partner systems and auditors read the event feed.")
        after = _int_param(request, "after", 0, 0, 2**62)
        limit = _int_param(request, "limit", 100, 1, MAX_FEED_PAGE)
        rows, cursor = selectors.feed_page(user=request.user, after=after, limit=limit)
        return Response(
            {
                "results": [services.event_document(e) for e in rows],
                "next_cursor": str(cursor),
            }
        )


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput({name: ["Must be a whole number."]}) from exc
    if not low <= value <= high:
        raise InvalidInput({name: [f"Must be between {low} and {high}."]})
    return value
