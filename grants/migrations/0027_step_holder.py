"""Who holds the open step of each application's workflow (Application.step_holder), for the case list's assignee
filter, with its index. The column is kept by PostgreSQL (migration workflows 0005, which fills it)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0026_indicator_pruned_by'),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='step_holder',
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='holder of the open step'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(condition=models.Q(('step_holder__isnull', False)), fields=['step_holder', 'status'], include=('id', 'submitted_at', 'status_changed_at', 'requested_amount', 'case_number', 'title'), name='application_step_holder'),
        ),
    ]
