# Reserved slot for the parallel work on organisations; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0012_review_events'),
    ]

    operations = []
