from django.db import migrations

ANCHORS = {
    0: "Saknas helt.", 1: "Mycket svagt.", 2: "Svagt, med stora brister.", 3: "Godtagbart.",
    4: "Bra, med små brister.", 5: "Mycket bra, inga brister.",
}


def to_rubric(apps, schema_editor):
    """The criteria seeded earlier become version 1 of the default rubric, with anchored descriptions."""
    Rubric = apps.get_model("reviewers", "Rubric")
    Criterion = apps.get_model("reviewers", "Criterion")
    default, _ = Rubric.objects.get_or_create(fund=None, version=1, defaults={"name": "Standard (OECD DAC)"})
    for criterion in Criterion.objects.filter(rubric__isnull=True):
        criterion.rubric = default
        for score, text in ANCHORS.items():
            if not getattr(criterion, f"anchor_{score}"):
                setattr(criterion, f"anchor_{score}", text)
        criterion.save()


class Migration(migrations.Migration):
    dependencies = [("reviewers", "0003_rubrics_assignments")]
    operations = [
        migrations.RunPython(to_rubric, migrations.RunPython.noop),
    ]
