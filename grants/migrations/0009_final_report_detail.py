"""The final report in detail: actual dates, cost lines against the budget, activities done versus
planned, the draft being written, and attachments of the report stage."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0008_repayments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FinalReportActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='position')),
                ('status', models.CharField(choices=[('done', 'Done as planned'), ('changed', 'Done, but changed'), ('not_done', 'Not done'), ('added', 'Added: not in the plan')], max_length=10, verbose_name='what happened')),
                ('description', models.CharField(blank=True, max_length=300, verbose_name='activity')),
                ('starts_on', models.DateField(blank=True, null=True, verbose_name='date')),
                ('ends_on', models.DateField(blank=True, null=True, verbose_name='last date')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
            ],
            options={
                'verbose_name': 'reported activity',
                'verbose_name_plural': 'reported activities',
                'ordering': ['position'],
            },
        ),
        migrations.CreateModel(
            name='FinalReportCost',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='position')),
                ('description', models.CharField(blank=True, max_length=300, verbose_name='cost')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='actual cost (SEK)')),
                ('comment', models.CharField(blank=True, max_length=500, verbose_name='comment')),
            ],
            options={
                'verbose_name': 'actual cost',
                'verbose_name_plural': 'actual costs',
                'ordering': ['position'],
            },
        ),
        migrations.CreateModel(
            name='FinalReportDraft',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='what has been typed')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='last saved')),
            ],
            options={
                'verbose_name': 'final report draft',
                'verbose_name_plural': 'final report drafts',
            },
        ),
        migrations.AddField(
            model_name='attachment',
            name='stage',
            field=models.CharField(choices=[('application', 'The application'), ('report', 'The final report')], default='application', help_text='The application, or the final report written after the project.', max_length=12, verbose_name='attached to'),
        ),
        migrations.AddField(
            model_name='finalreport',
            name='ended_on',
            field=models.DateField(blank=True, null=True, verbose_name='the project ended'),
        ),
        migrations.AddField(
            model_name='finalreport',
            name='started_on',
            field=models.DateField(blank=True, null=True, verbose_name='the project started'),
        ),
        migrations.AddConstraint(
            model_name='attachment',
            constraint=models.CheckConstraint(condition=models.Q(('stage__in', ['application', 'report'])), name='attachment_stage_known'),
        ),
        migrations.AddConstraint(
            model_name='finalreport',
            constraint=models.CheckConstraint(condition=models.Q(('started_on__isnull', True), ('ended_on__isnull', True), ('ended_on__gte', models.F('started_on')), _connector='OR'), name='report_ends_after_start'),
        ),
        migrations.AddField(
            model_name='finalreportactivity',
            name='activity',
            field=models.ForeignKey(blank=True, help_text='Empty for an activity that was not in the plan.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grants.activityline', verbose_name='planned activity'),
        ),
        migrations.AddField(
            model_name='finalreportactivity',
            name='report',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity_lines', to='grants.finalreport', verbose_name='final report'),
        ),
        migrations.AddField(
            model_name='finalreportcost',
            name='budget_line',
            field=models.ForeignKey(blank=True, help_text='Empty for a cost that was not in the budget.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grants.budgetline', verbose_name='budget line'),
        ),
        migrations.AddField(
            model_name='finalreportcost',
            name='report',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cost_lines', to='grants.finalreport', verbose_name='final report'),
        ),
        migrations.AddField(
            model_name='finalreportdraft',
            name='application',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='report_draft', to='grants.application', verbose_name='application'),
        ),
        migrations.AddField(
            model_name='finalreportdraft',
            name='updated_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last saved by'),
        ),
        migrations.AddConstraint(
            model_name='finalreportactivity',
            constraint=models.UniqueConstraint(fields=('report', 'position'), name='reportactivity_position_unique'),
        ),
        migrations.AddConstraint(
            model_name='finalreportactivity',
            constraint=models.UniqueConstraint(fields=('report', 'activity'), name='reportactivity_planned_once'),
        ),
        migrations.AddConstraint(
            model_name='finalreportactivity',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('activity__isnull', True), ('status', 'added')), models.Q(('activity__isnull', False), ('status__in', ['done', 'changed', 'not_done'])), _connector='OR'), name='reportactivity_added_iff_unplanned'),
        ),
        migrations.AddConstraint(
            model_name='finalreportactivity',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['changed', 'not_done']), _negated=True), models.Q(('comment', ''), _negated=True), _connector='OR'), name='reportactivity_change_explained'),
        ),
        migrations.AddConstraint(
            model_name='finalreportactivity',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'added'), _negated=True), models.Q(models.Q(('description', ''), _negated=True), ('starts_on__isnull', False)), _connector='OR'), name='reportactivity_added_described'),
        ),
        migrations.AddConstraint(
            model_name='finalreportactivity',
            constraint=models.CheckConstraint(condition=models.Q(('starts_on__isnull', True), ('ends_on__isnull', True), ('ends_on__gte', models.F('starts_on')), _connector='OR'), name='reportactivity_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='finalreportcost',
            constraint=models.UniqueConstraint(fields=('report', 'position'), name='reportcost_position_unique'),
        ),
        migrations.AddConstraint(
            model_name='finalreportcost',
            constraint=models.UniqueConstraint(fields=('report', 'budget_line'), name='reportcost_budget_line_once'),
        ),
        migrations.AddConstraint(
            model_name='finalreportcost',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='reportcost_amount_nonnegative'),
        ),
        migrations.AddConstraint(
            model_name='finalreportcost',
            constraint=models.CheckConstraint(condition=models.Q(('budget_line__isnull', False), models.Q(('description', ''), _negated=True), _connector='OR'), name='reportcost_extra_has_description'),
        ),
    ]
