# Reserved slot for the parallel work on catalogue; filled in by that branch.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0016_indicators'),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='kind',
            field=models.CharField(choices=[('created', 'Draft created'), ('submitted', 'Submitted'), ('checked', 'Ex-ante check'), ('completion_requested', 'Completion requested'), ('resubmitted', 'Completed and resubmitted'), ('ineligible', 'Rejected as ineligible'), ('reviewed', 'Review submitted'), ('no_conflict', 'Reviewer declared no conflict of interest'), ('conflict', 'Reviewer declared a conflict of interest'), ('review_closed', 'Review closed'), ('decided', 'Decision'), ('report_submitted', 'Final report submitted'), ('report_completion', 'Completion of final report requested'), ('report_approved', 'Final report approved'), ('withdrawn', 'Withdrawn by the applicant'), ('decision_pending', 'Decision waiting for a second approver'), ('decision_approved', 'Decision approved by a second approver'), ('decision_returned', 'Decision returned by the second approver'), ('decision_corrected', 'Decision corrected'), ('override', 'Passed despite failed checklist points'), ('payment_planned', 'Payment planned'), ('payment_paid', 'Payment made'), ('payment_cancelled', 'Planned payment cancelled'), ('money_returned', 'Unspent money returned to the fund'), ('repayment_claimed', 'Repayment claimed from the organisation'), ('repayment_received', 'Repayment received'), ('grant_ended', 'Grant ended without being carried out'), ('attachment_added', 'Attachment added'), ('attachment_removed', 'Attachment removed'), ('task_claimed', 'Task claimed'), ('task_released', 'Task released'), ('review_deadline', 'Review deadline changed'), ('reviewer_assigned', 'Reviewer asked'), ('review_changed', 'Submitted review changed'), ('reviews_ended', 'Open review requests ended'), ('practice_prepared', 'Good practice prepared for the catalogue'), ('practice_edited', 'Good practice edited'), ('practice_published', 'Good practice published'), ('practice_unpublished', 'Good practice taken down')], max_length=30, verbose_name='event'),
        ),
    ]
