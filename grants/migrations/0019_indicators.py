# Reserved slot (filled by the branch that needs it; empty until then).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("grants", "0018_workspace")]
    operations = []
