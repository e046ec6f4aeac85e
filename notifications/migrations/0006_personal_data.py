# Reserved slot for the parallel work on personal data; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0005_outbox_rendered_later'),
    ]

    operations = []
