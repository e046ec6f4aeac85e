# Reserved slot for the parallel work on scale; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reviewers', '0006_default_rubric_anchors'),
    ]

    operations = []
