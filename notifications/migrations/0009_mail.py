# Fewer indexes on the outbox: each is paid for by every row a reminder sweep writes and by every status
# change of a delivery. The uniqueness of the key moves to a named constraint (no LIKE index beside it);
# occurrence and status lose their LIKE indexes; digest, resent_from and queued_by are indexed only where set.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0008_rerender_unsent_html'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='outboxmessage',
            constraint=models.UniqueConstraint(fields=('dedupe_key',), name='outbox_dedupe_key_unique'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='dedupe_key',
            field=models.CharField(max_length=255, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='digest',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bundled', to='notifications.outboxmessage', verbose_name='sent in digest'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='occurrence',
            field=models.CharField(blank=True, max_length=255, verbose_name='occurrence'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='queued_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resent by'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='resent_from',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='resends', to='notifications.outboxmessage', verbose_name='resend of'),
        ),
        migrations.AlterField(
            model_name='outboxmessage',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting to be sent'), ('held', 'Held for the daily digest'), ('sending', 'Being sent'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10, verbose_name='status'),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(fields=['occurrence'], name='outbox_occurrence'),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(fields=['status'], name='outbox_status'),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('digest__isnull', False)), fields=['digest'], name='outbox_digest_set'),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('resent_from__isnull', False)), fields=['resent_from'], name='outbox_resent_from_set'),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('queued_by__isnull', False)), fields=['queued_by'], name='outbox_queued_by_set'),
        ),
    ]
