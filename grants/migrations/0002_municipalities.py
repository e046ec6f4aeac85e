from django.db import migrations

# The municipalities of Kalmar län (SCB codes); more can be added in the admin.
KALMAR_LAN = [
    ("0821", "Högsby"), ("0834", "Torsås"), ("0840", "Mörbylånga"), ("0860", "Hultsfred"),
    ("0861", "Mönsterås"), ("0862", "Emmaboda"), ("0880", "Kalmar"), ("0881", "Nybro"),
    ("0882", "Oskarshamn"), ("0883", "Västervik"), ("0884", "Vimmerby"), ("0885", "Borgholm"),
]


def add(apps, schema_editor):
    Municipality = apps.get_model("grants", "Municipality")
    for code, name in KALMAR_LAN:
        Municipality.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("grants", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
