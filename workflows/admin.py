from django.contrib import admin

from workflows.models import ApplicationProcess


@admin.register(ApplicationProcess)
class ApplicationProcessAdmin(admin.ModelAdmin):
    list_display = ["pk", "application", "status", "created", "finished"]
    list_filter = ["status"]
    readonly_fields = ["application", "flow_class", "status", "created", "finished"]
    fields = readonly_fields
