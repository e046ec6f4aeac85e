from django.db import migrations

# A frozen copy of grants.checklist.DEFAULT_CHECKLIST as it was when this migration was written.
DEFAULT = [
    ("formal", "Sökande är en idéburen organisation (för mikroprojekt: en samverkan med en myndighet).",
     "The applicant is an idea-based organisation (for microprojects: a collaboration with an authority)."),
    ("formal", "Organisationen verkar i en kommun som får söka.", "The organisation is active in an eligible municipality."),
    ("formal", "Ansökan kom in under en öppen utlysning.", "The application came in during an open call."),
    ("formal", "Det sökta beloppet ryms inom fondens tak.", "The requested amount is within the fund's ceiling."),
    ("formal", "Behörig firmatecknare är angiven.", "An authorised signatory is given."),
    ("formal", "Bilagor som krävs finns med.", "The required attachments are included."),
    ("evaluability", "Problemanalysen visar ett verkligt behov.", "The problem analysis shows a real need."),
    ("evaluability", "Målen är realistiska och mätbara, med indikatorer.",
     "The goals are realistic and measurable, with indicators."),
    ("evaluability", "Målgruppen är beskriven och når både nyanlända och etablerade.",
     "The target group is described and reaches both newly arrived and established residents."),
    ("evaluability", "Planerade deltagare är angivna per kön (minst 40/60).",
     "Planned participants are given by gender (at least 40/60)."),
    ("evaluability", "Det finns en plan för tillgänglighet och likabehandling.",
     "There is a plan for accessibility and equal treatment."),
    ("evaluability", "Budgeten är rimlig och går ihop med det sökta beloppet.",
     "The budget is reasonable and adds up to the requested amount."),
    ("evaluability", "Projektet är förankrat i organisationen och tar vara på liknande projekt.",
     "The project is anchored in the organisation and builds on similar projects."),
]


def add(apps, schema_editor):
    Fund = apps.get_model("grants", "Fund")
    ChecklistItem = apps.get_model("grants", "ChecklistItem")
    for fund in Fund.objects.all():
        if not fund.case_prefix:
            fund.case_prefix = "".join(word[0] for word in fund.name.split()[:3]).upper()[:4] or "P"
            fund.save(update_fields=["case_prefix"])
        if not ChecklistItem.objects.filter(fund=fund).exists():
            for position, (group, sv, en) in enumerate(DEFAULT, start=1):
                ChecklistItem.objects.create(fund=fund, group=group, text_sv=sv, text_en=en, position=position)


class Migration(migrations.Migration):
    dependencies = [("grants", "0005_case_handling")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
