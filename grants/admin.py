from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grants import models, selectors
from grants.services.checklist import checklist_ensure_default


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened (written by a service under its locks, with the ledger and the audit trail):
    staff may look at it here, never add, change or delete it."""

    # Records grow with every case: the list never counts all of them besides the filtered count.
    show_full_result_count = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FundYearInline(admin.TabularInline):
    """Years are added under "Fund years"; a budget is then changed on the fund's budget page, with a reason."""

    model = models.FundYear
    extra = 0
    can_delete = False
    fields = ["year", "budget", "target_applications", "target_carried_out", "target_collaboration_projects",
              "target_balance_percent", "target_survey_percent"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ChecklistInline(admin.TabularInline):
    model = models.ChecklistItem
    extra = 0


@admin.register(models.Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "max_amount", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["municipalities"]
    inlines = [FundYearInline, ChecklistInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        checklist_ensure_default(form.instance)  # a new fund starts with the default checklist


@admin.register(models.FundYear)
class FundYearAdmin(admin.ModelAdmin):
    list_display = ["fund", "year", "budget", "target_applications", "target_carried_out"]
    list_filter = ["fund"]

    def get_readonly_fields(self, request, obj=None):
        # The budget of an existing year changes only through the logged budget change.
        return ["fund", "year", "budget"] if obj else []


@admin.register(models.Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "fund", "budget_year", "opens_at", "closes_at"]
    list_filter = ["fund"]


@admin.register(models.Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name"]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "org_number", "municipality", "kind"]
    list_filter = ["kind", "municipality"]
    search_fields = ["name", "org_number"]
    inlines = [MembershipInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = models.Event
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "message"]
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = models.Decision
    fields = ["decided_at", "outcome", "amount", "decided_by", "motivation"]
    readonly_fields = fields


class ActivityInline(admin.TabularInline):
    model = models.ActivityLine
    extra = 0


class PartnerInline(admin.TabularInline):
    model = models.Partner
    extra = 0


class AttachmentInline(ReadOnlyInline):
    model = models.Attachment
    fields = ["original_name", "stage", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class BudgetLineInline(admin.TabularInline):
    model = models.BudgetLine
    extra = 0

    # Money: once the application is submitted its budget changes only through a completion request.
    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


def _is_draft(application) -> bool:
    return application is None or (application.status == models.Application.Status.DRAFT
                                   and application.submitted_at is None)


class CallOfFundFilter(admin.SimpleListFilter):
    """The calls of the fund chosen in the fund filter, and no list of every call of every fund and year
    (hundreds at a large installation): shown once a fund is chosen."""

    title = _("call")
    parameter_name = "call__id__exact"

    def lookups(self, request, model_admin):
        fund = request.GET.get("call__fund__id__exact", "")
        if not fund.isdigit():
            return []
        calls = models.Call.objects.filter(fund_id=int(fund)).only("title").order_by("-opens_at", "-pk")
        return [(str(call.pk), call.title) for call in calls]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(call_id=int(value)) if value and value.isdigit() else queryset


class FundFilter(admin.RelatedFieldListFilter):
    """Django's filter by fund, its choices read as (id, name) pairs in one narrow query, in the order Django lists
    them (the fund admin's ordering, else the model's), without a model instance per fund."""

    def field_choices(self, field, request, model_admin):
        funds = models.Fund.objects.all()
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            funds = funds.order_by(*ordering)
        return list(funds.values_list("pk", "name"))  # Fund.__str__ is its name


@admin.register(models.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "call", "status", "requested_amount", "submitted_at"]
    list_filter = ["status", ("call__fund", FundFilter), CallOfFundFilter]
    search_fields = ["title", "organisation__name"]
    # At 100,000 applications: the rows' organisation and call in the same query, only the shown columns
    # (get_queryset), and no second count of every application next to the filtered count.
    list_select_related = ["organisation", "call"]
    show_full_result_count = False
    # 50 rows a page, as every list of Potten (not Django's 100: the rows are most of the page's size and cost).
    list_per_page = 50
    list_columns = ["title", "status", "requested_amount", "submitted_at", "organisation__name", "call__title"]
    filter_horizontal = ["themes"]
    # The process (status, case number, the fields open for completion) moves only through the workflow's services.
    readonly_fields = ["status", "status_changed_at", "case_number", "reopened_fields", "submitted_at", "submitted_by",
                       "created_by", "created_at", "updated_at", "version", "withdrawn_at"]
    # Once submitted: the money asked for and where it would come from (call, organisation) are fixed too.
    submitted_readonly_fields = ["organisation", "call", "requested_amount", "report_due_on"]
    inlines = [ActivityInline, BudgetLineInline, PartnerInline, AttachmentInline, DecisionInline, EventInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if _is_draft(obj) else fields + self.submitted_readonly_fields

    def get_search_results(self, request, queryset, search_term):
        """The case list's search (title, organisation, case number; trigram indexes on PostgreSQL), every
        word of the search required."""
        return selectors.applications_matching_every_word(queryset, search_term), False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "grants_application_changelist":
            queryset = queryset.only(*self.list_columns)
        return queryset

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(models.Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name_sv", "name_en", "code", "position"]
    list_editable = ["position"]


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["organisation"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["token", "invited_by", "created_at", "accepted_at", "accepted_by"]


class CheckItemResultInline(ReadOnlyInline):
    model = models.CheckItemResult
    fields = ["item", "result", "comment"]
    readonly_fields = fields


@admin.register(models.ExAnteCheck)
class ExAnteCheckAdmin(RecordAdmin):
    list_select_related = ["application", "checked_by"]
    list_display = ["application", "outcome", "checked_by", "checked_at"]
    list_filter = ["outcome"]
    inlines = [CheckItemResultInline]


@admin.register(models.Decision)
class DecisionAdmin(RecordAdmin):
    """A decision is never edited; a correction is a new decision (on the case page)."""

    list_select_related = ["application", "decided_by"]
    list_display = ["application", "outcome", "amount", "status", "decided_by", "decided_at"]
    list_filter = ["outcome", "status"]


@admin.register(models.LedgerEntry)
class LedgerEntryAdmin(RecordAdmin):
    list_select_related = ["fund_year__fund", "application", "created_by"]
    list_display = ["fund_year", "application", "kind", "amount", "note", "created_by", "created_at"]
    list_filter = ["kind", "fund_year"]


@admin.register(models.BudgetChange)
class BudgetChangeAdmin(RecordAdmin):
    """A budget changes on the fund's budget page, with a reason; here the changes can only be read."""

    list_display = ["fund_year", "previous_budget", "new_budget", "changed_by", "changed_at"]
    list_filter = ["fund_year"]


@admin.register(models.Payment)
class PaymentAdmin(RecordAdmin):
    """Payments are planned by decisions and marked paid on the case page (which writes the ledger)."""

    list_select_related = ["application"]
    list_display = ["application", "kind", "amount", "status", "paid_on", "reference"]
    list_filter = ["kind", "status"]


@admin.register(models.Repayment)
class RepaymentAdmin(RecordAdmin):
    """Claimed when a case closes and recorded received on the payments page (which writes the ledger)."""

    list_select_related = ["application"]
    list_display = ["application", "reason", "amount", "status", "due_on", "received_on", "reference"]
    list_filter = ["reason", "status"]


class FinalReportCostInline(ReadOnlyInline):
    model = models.FinalReportCost
    fields = ["position", "budget", "description", "amount", "comment"]
    readonly_fields = fields

    @admin.display(description=_("budget line"))
    def budget(self, obj):
        line = obj.budget_line
        return f"{line.description} ({line.amount} SEK)" if line else "—"


class FinalReportActivityInline(ReadOnlyInline):
    model = models.FinalReportActivity
    fields = ["position", "planned", "status", "description", "starts_on", "ends_on", "comment"]
    readonly_fields = fields

    @admin.display(description=_("planned activity"))
    def planned(self, obj):
        return obj.activity.description if obj.activity else "—"


@admin.register(models.FinalReport)
class FinalReportAdmin(RecordAdmin):
    """A sent report with its cost and activity lines; costs_total is their sum, written with them."""

    list_select_related = ["application"]
    list_display = ["application", "submitted_at", "started_on", "ended_on", "costs_total", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["application__title", "application__case_number"]
    inlines = [FinalReportCostInline, FinalReportActivityInline]


@admin.register(models.FinalReportDraft)
class FinalReportDraftAdmin(RecordAdmin):
    """The report being written, as typed; the applicant's own until it is sent."""

    list_select_related = ["application", "updated_by"]
    list_display = ["application", "updated_by", "updated_at", "version"]


@admin.register(models.Event)
class EventAdmin(RecordAdmin):
    list_select_related = ["application", "actor"]
    list_display = ["created_at", "application", "kind", "actor"]
    list_filter = ["kind"]
