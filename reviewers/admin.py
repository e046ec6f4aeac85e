from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from reviewers import models, services


class CriterionInline(admin.StackedInline):
    model = models.Criterion
    extra = 0
    fields = [("code", "name", "group", "position", "is_active"), "question", ("weight", "minimum"),
              ("anchor_0", "anchor_1", "anchor_2"), ("anchor_3", "anchor_4", "anchor_5")]

    def _locked(self, obj):
        return obj is not None and obj.is_used

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(models.Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "fund", "version", "in_use", "created_at"]
    list_filter = ["fund"]
    inlines = [CriterionInline]
    actions = ["new_version"]

    @admin.display(boolean=True, description=_("used by reviews"))
    def in_use(self, obj):
        return obj.is_used

    @admin.action(description=_("Make a new, editable version"))
    def new_version(self, request, queryset):
        for rubric in queryset:
            new = services.rubric_new_version(rubric=rubric)
            self.message_user(request, _("Created %(rubric)s.") % {"rubric": new}, messages.SUCCESS)


@admin.register(models.ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ["fund", "reviewers_per_application", "quorum", "deadline_days", "show_others_after_submit"]
    filter_horizontal = ["reviewers"]


@admin.register(models.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "status", "deadline", "assigned_at"]
    list_filter = ["status"]
    # Who reviews what, the declaration, the status and the deadline move only through the reviewers' services,
    # which keep the audit trail (the case officer moves a deadline on the case's review page).
    readonly_fields = ["application", "reviewer", "rubric", "status", "deadline", "assigned_by", "assigned_at",
                       "declared_at", "conflict_reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScoreInline(admin.TabularInline):
    model = models.Score
    extra = 0
    can_delete = False
    readonly_fields = ["criterion", "score", "not_applicable", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


class RevisionInline(admin.TabularInline):
    model = models.ReviewRevision
    extra = 0
    can_delete = False
    readonly_fields = ["version", "content", "changed_by", "changed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "recommendation", "submitted_at"]
    readonly_fields = ["application", "reviewer", "assignment", "recommendation", "summary", "version",
                       "submitted_at"]
    exclude = ["no_conflict_declared"]
    inlines = [ScoreInline, RevisionInline]

    # A review and its revisions are the record of an assessment: read here, written only by the reviewer.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
