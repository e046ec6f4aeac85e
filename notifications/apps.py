from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The delivery tasks, registered by name: notifications.services publishes them by name (the tasks call
        # the services, so the services cannot import the tasks). Here, not at the top: apps.py loads before
        # the models exist.
        from notifications import tasks  # noqa: F401
