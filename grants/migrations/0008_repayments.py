"""Money owed back when a paid advance exceeds what was spent, or when a grant is ended without being
carried out (återbetalningskrav); the ledger's repayment entries; the status of an ended grant."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0007_event_kinds_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="application",
            name="status",
            field=models.CharField(choices=[("draft", "Draft"), ("submitted", "Submitted, awaiting ex-ante check"), ("completion", "Completion requested"), ("review", "Under review"), ("decision", "Awaiting decision"), ("granted", "Granted, project under way"), ("report_submitted", "Final report submitted"), ("carried_out", "Carried out"), ("rejected", "Rejected"), ("ineligible", "Rejected as ineligible"), ("withdrawn", "Withdrawn"), ("ended", "Ended without being carried out")], db_index=True, default="draft", max_length=20, verbose_name="status"),
        ),
        # Choices only (no SQL). A later migration that alters Event.kind must list these kinds too.
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(choices=[("created", "Draft created"), ("submitted", "Submitted"), ("checked", "Ex-ante check"), ("completion_requested", "Completion requested"), ("resubmitted", "Completed and resubmitted"), ("ineligible", "Rejected as ineligible"), ("reviewed", "Review submitted"), ("no_conflict", "Reviewer declared no conflict of interest"), ("conflict", "Reviewer declared a conflict of interest"), ("review_closed", "Review closed"), ("decided", "Decision"), ("report_submitted", "Final report submitted"), ("report_completion", "Completion of final report requested"), ("report_approved", "Final report approved"), ("withdrawn", "Withdrawn by the applicant"), ("decision_pending", "Decision waiting for a second approver"), ("decision_approved", "Decision approved by a second approver"), ("decision_returned", "Decision returned by the second approver"), ("decision_corrected", "Decision corrected"), ("override", "Passed despite failed checklist points"), ("payment_planned", "Payment planned"), ("payment_paid", "Payment made"), ("money_returned", "Unspent money returned to the fund"), ("repayment_claimed", "Repayment claimed from the organisation"), ("repayment_received", "Repayment received"), ("grant_ended", "Grant ended without being carried out"), ("attachment_added", "Attachment added"), ("attachment_removed", "Attachment removed"), ("task_claimed", "Task claimed"), ("task_released", "Task released")], max_length=30, verbose_name="event"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(choices=[("commitment", "Committed by a grant"), ("payment", "Paid out"), ("release", "Returned to the fund"), ("repayment", "Paid back to the fund")], max_length=20, verbose_name="kind"),
        ),
        migrations.CreateModel(
            name="Repayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.CharField(choices=[("unspent", "More was paid out than the approved costs"), ("ended", "The grant was ended without being carried out")], max_length=10, verbose_name="reason")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=12, verbose_name="amount (SEK)")),
                ("status", models.CharField(choices=[("claimed", "To be paid back"), ("received", "Received")], default="claimed", max_length=10, verbose_name="status")),
                ("due_on", models.DateField(verbose_name="to be paid back by")),
                ("claimed_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="claimed")),
                ("received_on", models.DateField(blank=True, null=True, verbose_name="received on")),
                ("reference", models.CharField(blank=True, max_length=100, verbose_name="payment reference")),
                ("application", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="repayments", to="grants.application", verbose_name="application")),
                ("claimed_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="claimed by")),
                ("received_recorded_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="recorded by")),
            ],
            options={
                "verbose_name": "repayment",
                "verbose_name_plural": "repayments",
                "ordering": ["claimed_at", "pk"],
            },
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="repayment",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="ledger_entry", to="grants.repayment", verbose_name="repayment"),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("kind", "repayment"), _negated=True), ("repayment__isnull", False), _connector="OR"), name="ledger_repayment_has_claim"),
        ),
        migrations.AddConstraint(
            model_name="repayment",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="repayment_amount_positive"),
        ),
        migrations.AddConstraint(
            model_name="repayment",
            constraint=models.UniqueConstraint(fields=("application",), name="repayment_one_per_application"),
        ),
        migrations.AddConstraint(
            model_name="repayment",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("status", "received"), _negated=True), ("received_on__isnull", False), _connector="OR"), name="repayment_received_has_date"),
        ),
    ]
