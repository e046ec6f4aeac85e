from django.contrib import admin

from notifications.models import OutboxMessage, ReminderSettings


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    # A record of what was sent: delivery and resending happen through the outbox's services.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    """Each fund's reminders. Every fund gets a row with the defaults at the first reminder sweep."""

    list_display = ["fund", "draft_days_before_close", "completion_days_before", "review_days_before",
                    "report_days_before", "overdue_every_days", "overdue_max", "check_waiting_days",
                    "decision_waiting_days"]
    list_select_related = ["fund"]

    def get_readonly_fields(self, request, obj=None):
        return ["fund"] if obj is not None else []
