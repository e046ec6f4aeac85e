# Reserved slot (filled by the branch that needs it; empty until then).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0008_rerender_unsent_html")]
    operations = []
