"""API v1 routes of the notifications app: the inbox and the event feed."""

from django.urls import path

from . import api

urlpatterns = [
    path("notifications/", api.NotificationList.as_view(), name="api-notifications"),
    path("notifications/unread-count/", api.UnreadCount.as_view(), name="api-notifications-unread"),
    path(
        "notifications/preferences/",
        api.PreferenceView.as_view(),
        name="api-notification-preferences",
    ),
    path(
        "notifications/<int:pk>/read/", api.NotificationRead.as_view(), name="api-notification-read"
    ),
    path("events/", api.EventFeed.as_view(), name="api-events"),
]
