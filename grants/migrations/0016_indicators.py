# The indicators to the project plan: targets for collaboration projects, the 40/60 balance and the survey.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0015_scale'),
    ]

    operations = [
        migrations.AddField(
            model_name='fundyear',
            name='target_balance_percent',
            field=models.PositiveSmallIntegerField(default=0, help_text='Among participants and among leaders: 40 means the 40/60 rule. 0 = no target.', validators=[django.core.validators.MaxValueValidator(50)], verbose_name='target: women and men each at least (%)'),
        ),
        migrations.AddField(
            model_name='fundyear',
            name='target_collaboration_projects',
            field=models.PositiveIntegerField(default=0, help_text='Projects with at least one named partner. 0 = no target.', verbose_name='target: collaboration projects carried out'),
        ),
        migrations.AddField(
            model_name='fundyear',
            name='target_survey_percent',
            field=models.PositiveSmallIntegerField(default=0, help_text='0 = no target.', validators=[django.core.validators.MaxValueValidator(100)], verbose_name='target: participants reporting increased knowledge (%)'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('to_status', ''), _negated=True), fields=['application', 'created_at', 'id'], name='event_status_changes'),
        ),
    ]
