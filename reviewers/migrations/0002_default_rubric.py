from django.db import migrations

# The default rubric: the OECD DAC evaluation criteria as adapted to integration work (seed 000),
# plus the three horizontal perspectives. Editable in the admin; stored in Swedish, the fund's language.
CRITERIA = [
    ("relevance", "Relevans", "dac", "Svarar projektet mot ett verkligt behov hos målgruppen och mot fondens syfte?"),
    ("coherence", "Samstämmighet", "dac", "Hänger projektet ihop med annat som görs i kommunen och länet? Söker det synergier?"),
    ("effectiveness", "Måluppfyllelse", "dac", "Är målen tydliga och mätbara, och är det troligt att de nås?"),
    ("efficiency", "Effektivitet", "dac", "Står kostnaderna i rimlig proportion till aktiviteterna och resultaten?"),
    ("impact", "Effekter", "dac", "Vilka bestående förändringar kan projektet leda till för deltagarna och samhället?"),
    ("sustainability", "Hållbarhet", "dac", "Lever arbetet vidare när pengarna är slut? Är det förankrat i organisationen?"),
    ("gender_equality", "Jämställdhet", "horizontal", "Når projektet kvinnor och män (minst 40/60) bland deltagare och utbildare?"),
    ("equal_treatment", "Likabehandling", "horizontal", "Motverkar projektet diskriminering och behandlar alla lika?"),
    ("accessibility", "Tillgänglighet", "horizontal", "Är lokaler, information och kommunikation tillgängliga för alla?"),
]


def add(apps, schema_editor):
    Criterion = apps.get_model("reviewers", "Criterion")
    for position, (code, name, group, question) in enumerate(CRITERIA, start=1):
        Criterion.objects.get_or_create(
            code=code, defaults={"name": name, "group": group, "question": question, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("reviewers", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
