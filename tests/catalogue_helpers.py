"""Practices for the catalogue tests: through the real workflow, or written directly for the public pages."""

import json
from pathlib import Path

from django.utils import timezone

from catalogue.models import Practice
from grants.models import Fund, Municipality, Theme
from reviewers.models import Criterion
from tests.factories import ApplicationFactory, FundFactory
from tests.flow_helpers import open_task, to_stage
from workflows import services as flow_services

SCHEMAS = Path(__file__).resolve().parent.parent / "catalogue" / "data" / "360giving"


def carry_out(application, *, applicant, officer, reviewer, secretary, consent=True, score=4):
    """Submit, check, review (`score` on every criterion), grant 15 000, report (consent as given), approve."""
    from tests import flow_helpers

    to_stage(application, "final_report", applicant=applicant, officer=officer, reviewer=reviewer,
             secretary=secretary)
    flow_helpers.report(application, applicant, publish_consent=consent)
    flow_services.report_approval_record(task_pk=open_task(application).pk, user=secretary, approve=True)
    application.refresh_from_db()
    return application


def published_practice(*, title="Språkcafé", municipality="Kalmar", fund: Fund | None = None, year=2026,
                       themes=("languages",), criteria=("relevance",), what_was_done="Vi träffades varje vecka.",
                       lessons="Kvällar passar bäst.", for_whom="Nyanlända och etablerade.", status="published",
                       **shown) -> Practice:
    """A practice written directly (its application is a factory draft), published unless told otherwise."""
    application = ApplicationFactory(title=title)
    now = timezone.now()
    practice = Practice.objects.create(
        application=application, status=status, title=title, organisation_name=application.organisation.name,
        municipality=Municipality.objects.get(name=municipality) if municipality else None,
        fund=fund or FundFactory(), year=year, what_was_done=what_was_done, for_whom=for_whom, participants=20,
        survey_share=70, lessons=lessons, texts_checked_at=now,
        published_at=now if status == "published" else None, first_published_at=now if status == "published" else None,
        **{f"show_{name}": value for name, value in shown.items()},
    )
    practice.themes.set(Theme.objects.filter(code__in=themes))
    chosen = {}
    for criterion in Criterion.objects.filter(code__in=criteria).order_by("-rubric__version", "-pk"):
        chosen.setdefault(criterion.code, criterion)
    practice.criteria.set(chosen.values())
    return practice


def validator():
    """A Draft 2020-12 validator of the 360Giving package schema, offline: the package's reference to the
    grant schema (1.4.2 URL) and the grant schema's own $id (1.4.3) both resolve to the shipped file."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    package_schema = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text(encoding="utf-8"))
    grant_schema = json.loads((SCHEMAS / "360-giving-schema.json").read_text(encoding="utf-8"))
    grant = Resource(contents=grant_schema, specification=DRAFT202012)
    registry = Registry().with_resources([
        ("https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json", grant),
        (grant_schema["$id"], grant),
    ])
    return Draft202012Validator(package_schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)
