from django.db import migrations

# Policy areas of the Council of Europe intercultural integration index (seed 004).
THEMES = [
    ("participation", "Delaktighet", "Participation"),
    ("education", "Utbildning", "Education"),
    ("culture", "Kultur och socialt liv", "Culture and social life"),
    ("urban", "Stadsplanering och offentliga rum", "Urban planning and public space"),
    ("labour", "Näringsliv och arbetsmarknad", "Business and labour market"),
    ("anti_discrimination", "Antidiskriminering", "Anti-discrimination"),
    ("languages", "Flerspråkighet", "Multilingualism"),
]


def add(apps, schema_editor):
    Theme = apps.get_model("grants", "Theme")
    for position, (code, sv, en) in enumerate(THEMES, start=1):
        Theme.objects.get_or_create(code=code, defaults={"name_sv": sv, "name_en": en, "position": position})


class Migration(migrations.Migration):
    dependencies = [("grants", "0003_applicant_portal")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
