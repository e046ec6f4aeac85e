# The page of undelivered mails that belong to no case, newest first, in pages.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0006_personal_data'),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS notifications_outbox_unattached_undelivered "
            "ON notifications_outboxmessage (created_at, id) "
            "WHERE application_id IS NULL AND status IN ('failed', 'pending', 'sending')",
            "DROP INDEX IF EXISTS notifications_outbox_unattached_undelivered"),
    ]
