from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from cases.services import events_committed

        from .signals import wake_fan_out

        events_committed.connect(wake_fan_out, dispatch_uid="notifications.wake_fan_out")
