import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Every criterion belongs to a rubric (0004 moved the old ones into the default rubric).
    A migration of its own: PostgreSQL cannot alter a table in the transaction that just updated its rows."""

    dependencies = [("reviewers", "0004_default_rubric_versions")]
    operations = [
        migrations.AlterField(
            model_name="criterion", name="rubric",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="criteria",
                                    to="reviewers.rubric", verbose_name="rubric"),
        ),
    ]
