"""The default ex-ante checklist (DOMAIN.md, seed 002): formal requirements and evaluability."""

from grants.models import ChecklistItem

DEFAULT_CHECKLIST = [
    ("formal", "Sökande är en idéburen organisation (för mikroprojekt: en samverkan med en myndighet).",
     "The applicant is an idea-based organisation (for microprojects: a collaboration with an authority)."),
    ("formal", "Organisationen verkar i en kommun som får söka.",
     "The organisation is active in an eligible municipality."),
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


def checklist_ensure_default(fund) -> int:
    """Give a fund the default checklist if it has none. Returns how many points were created."""
    if fund.checklist.exists():
        return 0
    ChecklistItem.objects.bulk_create(
        ChecklistItem(fund=fund, group=group, text_sv=sv, text_en=en, position=position)
        for position, (group, sv, en) in enumerate(DEFAULT_CHECKLIST, start=1)
    )
    return len(DEFAULT_CHECKLIST)
