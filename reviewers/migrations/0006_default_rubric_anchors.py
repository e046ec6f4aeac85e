from django.db import migrations

# 0004 gave every criterion the same six generic anchors. These replace them with what each score
# means for each criterion: the OECD DAC criteria as adapted to integration work (seed 000), the
# lessons on evaluability from seed 002 and the horizontal perspectives of the IKO project (seed 003).
# Stored in Swedish, the funds' language, like the rest of the default rubric (0002).
GENERIC = ["Saknas helt.", "Mycket svagt.", "Svagt, med stora brister.", "Godtagbart.",
           "Bra, med små brister.", "Mycket bra, inga brister."]

ANCHORS = {
    "relevance": [
        "Behovet beskrivs inte och kopplingen till fondens syfte saknas.",
        "Behovet nämns bara allmänt; det är oklart vem målgruppen är och hur projektet hör till fondens syfte.",
        "Ett behov beskrivs men utan underlag; målgruppen är vag eller kopplingen till fondens syfte svag.",
        "Behovet är beskrivet och rimligt, målgruppen är angiven och projektet svarar mot fondens syfte.",
        "Behovet är belagt (erfarenheter, statistik eller målgruppens egna röster) och projektet svarar "
        "tydligt mot det och mot fondens syfte.",
        "Behovet är väl belagt och formulerat tillsammans med målgruppen; projektet är ett tydligt motiverat "
        "svar på det och på fondens syfte, bättre än andra tänkbara lösningar.",
    ],
    "coherence": [
        "Projektet förhåller sig inte till något annat arbete i kommunen eller länet.",
        "Annat arbete nämns, men projektet riskerar att överlappa eller krocka med det.",
        "Några andra aktörer eller insatser nämns, men samverkan eller synergier är inte planerade.",
        "Projektet visar hur det kompletterar befintliga insatser och har minst en samverkanspart.",
        "Liknande projekt är kända och deras lärdomar används; samverkan med andra aktörer är konkret "
        "planerad med roller.",
        "Projektet bygger tydligt vidare på andras erfarenheter, har förankrade samverkansparter med roller "
        "och ansvar och stärker länets gemensamma integrationsarbete.",
    ],
    "effectiveness": [
        "Mål saknas.",
        "Målen är otydliga och går inte att följa upp.",
        "Målen är formulerade men inte mätbara, eller aktiviteterna leder knappast till dem.",
        "Målen är tydliga och i huvudsak mätbara, och aktiviteterna hänger ihop med dem.",
        "Målen är mätbara med indikatorer och rimliga målvärden, och det finns en plan för uppföljning.",
        "Målen är realistiska och mätbara med indikatorer, målvärden och uppföljningsmetod (t.ex. enkät till "
        "deltagarna), och det är mycket troligt att de nås.",
    ],
    "efficiency": [
        "Budget saknas eller hänger inte ihop med aktiviteterna.",
        "Kostnaderna är oklara eller tydligt orimliga för det som ska göras.",
        "Budgeten går att följa, men flera kostnader är svagt motiverade eller höga i förhållande till resultaten.",
        "Kostnaderna är rimliga och hänger ihop med aktiviteterna.",
        "Budgeten är tydlig och väl motiverad, och resurserna används kostnadsmedvetet (t.ex. egen insats, "
        "ideell tid eller lånade lokaler).",
        "Varje budgetpost är motiverad, och kostnaden per deltagare och aktivitet är låg i förhållande till "
        "de resultat som väntas.",
    ],
    "impact": [
        "Inga effekter utöver själva aktiviteten beskrivs.",
        "Effekter nämns bara i allmänna ordalag.",
        "Kortsiktiga effekter för deltagarna beskrivs, men det är oklart hur de ska uppnås eller märkas.",
        "Troliga effekter för deltagarna (t.ex. ökad interkulturell kompetens och nya kontakter mellan "
        "nyanlända och etablerade invånare) är beskrivna och rimliga.",
        "Effekter både för deltagarna och för organisationen eller lokalsamhället beskrivs och går att följa upp.",
        "Projektet kan ge bestående förändringar för deltagare, organisationer och lokalsamhälle, och visar "
        "hur effekterna ska fångas och redovisas.",
    ],
    "sustainability": [
        "Arbetet upphör när projektet är slut, och ingen plan för fortsättning finns.",
        "En fortsättning nämns som en förhoppning, utan plan.",
        "Det finns en idé om fortsättning, men förankringen i den egna organisationen är svag.",
        "Arbetet är förankrat i organisationen, och det finns en rimlig plan för vad som lever vidare.",
        "Förankringen är tydlig (t.ex. ett styrelsebeslut), och metoder och material dokumenteras så att "
        "de kan användas igen.",
        "Arbetet fortsätter i ordinarie verksamhet med utpekat ansvar och resurser, och lärdomarna sprids "
        "till andra aktörer i länet.",
    ],
    "gender_equality": [
        "Jämställdhet berörs inte.",
        "Jämställdhet nämns, men inget görs för att nå både kvinnor och män.",
        "Fördelningen mellan kvinnor och män planeras inte, eller ligger klart utanför 40/60 bland deltagare "
        "eller utbildare.",
        "Den planerade fördelningen är minst 40/60 kvinnor och män bland både deltagare och utbildare.",
        "Minst 40/60 bland deltagare och utbildare, med konkreta åtgärder för att nå den grupp som annars "
        "blir underrepresenterad.",
        "Minst 40/60 med konkreta åtgärder, och jämställdhet tas upp i innehållet (t.ex. samtal om normer "
        "och jämställdhet i kulturmötet).",
    ],
    "equal_treatment": [
        "Likabehandling berörs inte.",
        "Likabehandling nämns, men inte hur den ska uppnås.",
        "En allmän avsikt att behandla alla lika, utan åtgärder; vissa grupper riskerar att stängas ute.",
        "Projektet beskriver hur det når och bemöter alla i målgruppen oavsett kön, etnicitet, religion, "
        "funktionsförmåga, sexuell läggning eller ålder.",
        "Konkreta åtgärder för lika möjligheter att delta finns planerade (t.ex. tolk, tider som passar, "
        "inga avgifter).",
        "Konkreta åtgärder finns, deltagarna är med och formar arbetet, och projektet motverkar aktivt "
        "fördomar och diskriminering.",
    ],
    "accessibility": [
        "Tillgänglighet berörs inte.",
        "Tillgänglighet nämns, men inte hur den ska uppnås.",
        "Några åtgärder finns, men lokaler eller information är inte tillgängliga för alla i målgruppen.",
        "Lokalerna är tillgängliga, och informationen ges på ett sätt som målgruppen förstår.",
        "Lokaler, information och kommunikation är tillgängliga, t.ex. lättläst svenska, flera språk, "
        "hörslinga och tillgänglig webb.",
        "En fullständig plan för tillgänglighet i lokaler, information och kommunikation, gjord med berörda "
        "grupper och följd upp under projektet.",
    ],
}


def _anchors(criterion):
    return [getattr(criterion, f"anchor_{score}") for score in range(6)]


def _set_anchors(criterion):
    for score, text in enumerate(ANCHORS[criterion.code]):
        setattr(criterion, f"anchor_{score}", text)


def anchor_rubrics(apps, schema_editor):
    """The newest rubric of each fund, and the default rubric, get the anchors per criterion wherever a
    criterion still carries the generic ones. A rubric no assignment uses is updated in place; a used
    one never changes: it gets a new version (the newest, which new applications are reviewed with),
    and the applications already in review keep the version they started with."""
    Rubric = apps.get_model("reviewers", "Rubric")
    Criterion = apps.get_model("reviewers", "Criterion")
    Assignment = apps.get_model("reviewers", "Assignment")
    funds = Rubric.objects.order_by().values_list("fund_id", flat=True).distinct()
    for fund_id in funds:
        rubric = Rubric.objects.filter(fund_id=fund_id).order_by("-version", "-pk").first()
        criteria = list(Criterion.objects.filter(rubric=rubric).order_by("position", "pk"))
        generic = [c for c in criteria if c.code in ANCHORS and _anchors(c) == GENERIC]
        if not generic:
            continue  # already anchored, or edited by hand: leave it as it is
        if not Assignment.objects.filter(rubric=rubric).exists():
            for criterion in generic:
                _set_anchors(criterion)
                criterion.save()
            continue
        new = Rubric.objects.create(fund_id=fund_id, version=rubric.version + 1, name=rubric.name)
        for criterion in criteria:
            if criterion in generic:
                _set_anchors(criterion)
            criterion.pk = None
            criterion.rubric = new
            criterion.save()


class Migration(migrations.Migration):
    dependencies = [("reviewers", "0005_criterion_rubric_required")]
    operations = [migrations.RunPython(anchor_rubrics, migrations.RunPython.noop)]
