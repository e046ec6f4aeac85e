# Personal data (GDPR): an outbox row's text is removed after OUTBOX_BODY_RETENTION_DAYS; who, what and when stay.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0005_outbox_rendered_later'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxmessage',
            name='body_purged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='text removed'),
        ),
    ]
