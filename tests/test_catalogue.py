"""The public catalogue of good practice: consent, staff's edit and publishing, take-down at once, search,
filters, the map beside its table, the data and the feed, and fixed query counts."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue import services
from catalogue.models import Practice
from catalogue.selectors import map_data
from grants.models import Event, Municipality
from common.errors import NotAllowed
from tests.auth_helpers import login, login_with_second_factor
from tests.catalogue_helpers import carry_out, published_practice
from tests.factories import FundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path, "base_url": None}}}


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def carried_out(draft, applicant, case_officer, reviewer, secretary):
    return carry_out(draft, applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def edit_data(practice, **overrides) -> dict:
    data = {
        "version": str(practice.version), "title": practice.title, "organisation_name": practice.organisation_name,
        "municipality": str(practice.municipality_id or ""), "fund": str(practice.fund_id or ""),
        "year": str(practice.year or ""), "themes": [str(pk) for pk in practice.themes.values_list("pk", flat=True)],
        "what_was_done": practice.what_was_done, "for_whom": practice.for_whom,
        "participants": str(practice.participants), "survey_share": str(practice.survey_share),
        "lessons": practice.lessons, "criteria": [str(pk) for pk in practice.criteria.values_list("pk", flat=True)],
        "shown": ["organisation_name", "municipality", "fund", "year", "themes", "what_was_done", "for_whom",
                  "participants", "survey_share", "lessons", "criteria"],
        "texts_checked": "on",
    }
    data.update(overrides)
    return data


def events(application, kind):
    return list(Event.objects.filter(application=application, kind=kind))


# -- publishing -------------------------------------------------------------------------------------------

def test_staff_prepare_edit_and_publish_a_consented_project(client, carried_out, secretary, password):
    # given a carried-out project whose organisation agreed in its final report
    login_with_second_factor(client, secretary, password)
    listing = client.get(reverse("catalogue:manage_list"))
    assert listing.status_code == 200 and carried_out.title in text_of(listing)
    # when staff prepare it: a draft copied from the application and the report, not public
    response = client.post(reverse("catalogue:practice_prepare", args=[carried_out.pk]))
    assert response.status_code == 302
    practice = Practice.objects.get(application=carried_out)
    report = carried_out.final_reports.get()
    assert (practice.status, practice.title, practice.what_was_done, practice.lessons, practice.participants,
            practice.survey_share, practice.municipality.name, practice.for_whom) == (
        "draft", "Språkcafé", "Åtta träffar.", "Kvällar.", 20, 70, "Kalmar", carried_out.target_group)
    assert report.publish_consent is True
    assert set(practice.themes.values_list("code", flat=True)) == {"participation", "languages"}
    # every criterion was scored 4: all of them scored well
    assert practice.criteria.count() == carried_out.assignments.get().rubric.criteria.count()
    assert client.get(reverse("catalogue:practice_detail", args=[practice.pk])).status_code == 404
    edit_page = client.get(reverse("catalogue:manage_practice", args=[carried_out.pk]))
    assert edit_page.status_code == 200
    assert 'name="texts_checked"' in edit_page.content.decode() and "Publicera exemplet" in text_of(edit_page)
    # publishing before the texts are confirmed is refused
    client.post(reverse("catalogue:practice_publish", args=[carried_out.pk]))
    practice.refresh_from_db()
    assert practice.status == "draft" and events(carried_out, Event.Kind.PRACTICE_PUBLISHED) == []
    # staff edit the texts, hide the lessons and confirm
    data = edit_data(practice, title="Språkcafé med samtalsledare", lessons="Hemligt om lärdomar.",
                     shown=["municipality", "fund", "year", "themes", "what_was_done", "for_whom", "participants",
                            "survey_share", "criteria", "organisation_name"])
    assert client.post(reverse("catalogue:manage_practice", args=[carried_out.pk]), data).status_code == 302
    practice.refresh_from_db()
    assert (practice.title, practice.show_lessons, practice.texts_checked_by) == (
        "Språkcafé med samtalsledare", False, secretary)
    client.post(reverse("catalogue:practice_publish", args=[carried_out.pk]))
    practice.refresh_from_db()
    assert practice.status == "published" and practice.first_published_at is not None
    page = client.get(reverse("catalogue:practice_detail", args=[practice.pk]))
    assert page.status_code == 200
    assert "Språkcafé med samtalsledare" in text_of(page) and "Hemligt om lärdomar" not in text_of(page)
    published = events(carried_out, Event.Kind.PRACTICE_PUBLISHED)
    assert [(e.actor, e.from_status, e.to_status, e.visible_to_applicant) for e in published] == [
        (secretary, "draft", "published", True)]
    assert [e.actor for e in events(carried_out, Event.Kind.PRACTICE_PREPARED)] == [secretary]
    edited = events(carried_out, Event.Kind.PRACTICE_EDITED)
    assert len(edited) == 1 and "Hemligt" not in edited[0].message and "show_lessons" in edited[0].message


def test_taking_down_is_immediate_and_audited(client, carried_out, secretary, case_officer, password):
    practice = services.practice_prepare(application_id=carried_out.pk, user=secretary)
    services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version, values={},
                             themes=list(practice.themes.all()), criteria=list(practice.criteria.all()),
                             shown={"municipality", "fund", "year", "what_was_done"}, texts_checked=True)
    services.practice_publish(practice_id=practice.pk, user=secretary)
    detail = reverse("catalogue:practice_detail", args=[practice.pk])
    public = [reverse("catalogue:practice_list"), reverse("catalogue:catalogue_json"),
              reverse("catalogue:catalogue_csv"), reverse("catalogue:feed"), reverse("catalogue:practice_map")]
    assert client.get(detail).status_code == 200
    assert all(practice.title in client.get(url).content.decode() for url in public[:4])
    # when a case officer takes it down
    login_with_second_factor(client, case_officer, password)
    response = client.post(reverse("catalogue:practice_unpublish", args=[carried_out.pk]),
                           {"reason": "Föreningen bad om det."})
    assert response.status_code == 302
    client.logout()
    # then at once: 404, and it is gone from every list, export, feed and the map's count
    assert client.get(detail).status_code == 404
    assert all(practice.title not in client.get(url).content.decode() for url in public[:4])
    assert map_data().total == 0
    taken_down = events(carried_out, Event.Kind.PRACTICE_UNPUBLISHED)
    assert [(e.actor, e.from_status, e.to_status, e.message) for e in taken_down] == [
        (case_officer, "published", "unpublished", "Föreningen bad om det.")]
    # publishing again works, keeping the first publication date
    first = Practice.objects.get(pk=practice.pk).first_published_at
    services.practice_publish(practice_id=practice.pk, user=secretary)
    assert client.get(detail).status_code == 200
    assert Practice.objects.get(pk=practice.pk).first_published_at == first


def test_without_consent_nothing_can_be_prepared(client, draft, applicant, case_officer, reviewer, secretary,
                                                 password):
    application = carry_out(draft, applicant=applicant, officer=case_officer, reviewer=reviewer,
                            secretary=secretary, consent=False)
    with pytest.raises(NotAllowed):
        services.practice_prepare(application_id=application.pk, user=secretary)
    login_with_second_factor(client, secretary, password)
    assert application.title not in text_of(client.get(reverse("catalogue:manage_list")))
    assert client.post(reverse("catalogue:practice_prepare", args=[application.pk])).status_code == 404
    assert client.get(reverse("catalogue:manage_practice", args=[application.pk])).status_code == 404
    assert Practice.objects.count() == 0
    assert events(application, Event.Kind.PRACTICE_PREPARED) == []


def test_a_project_not_carried_out_cannot_be_prepared(draft, secretary):
    with pytest.raises(NotAllowed):
        services.practice_prepare(application_id=draft.pk, user=secretary)
    assert Practice.objects.count() == 0


def test_publishing_refuses_texts_that_name_a_person(carried_out, secretary):
    practice = services.practice_prepare(application_id=carried_out.pk, user=secretary)
    everything = {"organisation_name", "municipality", "fund", "year", "themes", "what_was_done", "for_whom",
                  "participants", "survey_share", "lessons", "criteria"}
    cases = [
        ("lessons", f"Tack till {carried_out.signatory_name} för allt."),
        ("what_was_done", "Ring 070-123 45 67 för mer."),
        ("for_whom", "Skriv till kalle@example.org."),
        ("lessons", "Deltagaren 19850101-1234 kom varje gång."),
    ]
    for field, text in cases:
        with pytest.raises(ValidationError) as refused:
            services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version,
                                     values={"what_was_done": "Träffar.", "for_whom": "Alla.", "lessons": "Bra.",
                                             field: text}, themes=[], criteria=[], shown=everything,
                                     texts_checked=True)
            practice.refresh_from_db()
            services.practice_publish(practice_id=practice.pk, user=secretary)
        assert list(refused.value.message_dict) == [field]
        practice.refresh_from_db()
        assert practice.status == "draft"
    assert events(carried_out, Event.Kind.PRACTICE_PUBLISHED) == []
    # hidden, the same text is no obstacle: it is never shown
    services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version,
                             values={"lessons": f"Tack {carried_out.signatory_name}."}, themes=[], criteria=[],
                             shown=everything - {"lessons"}, texts_checked=True)
    assert services.practice_publish(practice_id=practice.pk, user=secretary).status == "published"


def test_a_published_practice_cannot_be_edited_into_personal_data(carried_out, secretary):
    practice = services.practice_prepare(application_id=carried_out.pk, user=secretary)
    everything = {"what_was_done", "lessons"}
    services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version, values={},
                             themes=[], criteria=[], shown=everything, texts_checked=True)
    services.practice_publish(practice_id=practice.pk, user=secretary)
    practice.refresh_from_db()
    for texts_checked, values in ((True, {"lessons": "Mejla anna@example.org"}), (False, {"lessons": "Bra."})):
        with pytest.raises(ValidationError):
            services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version,
                                     values=values, themes=[], criteria=[], shown=everything,
                                     texts_checked=texts_checked)
        assert Practice.objects.get(pk=practice.pk).lessons == "Kvällar."


def test_an_edit_from_an_older_page_is_refused(carried_out, secretary):
    practice = services.practice_prepare(application_id=carried_out.pk, user=secretary)
    services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version,
                             values={"title": "Först"}, themes=[], criteria=[], shown=set(), texts_checked=False)
    with pytest.raises(NotAllowed):
        services.practice_update(practice_id=practice.pk, user=secretary, version=practice.version,
                                 values={"title": "Sedan"}, themes=[], criteria=[], shown=set(), texts_checked=False)
    assert Practice.objects.get(pk=practice.pk).title == "Först"


def test_only_staff_can_prepare_edit_publish_or_take_down(client, carried_out, secretary, applicant, reviewer,
                                                          steering, password):
    practice = services.practice_prepare(application_id=carried_out.pk, user=secretary)
    urls = [reverse("catalogue:manage_list"), reverse("catalogue:manage_practice", args=[carried_out.pk])]
    posts = [reverse(f"catalogue:practice_{name}", args=[carried_out.pk]) for name in ("publish", "unpublish")]
    for url in urls + posts:
        response = client.post(url) if url in posts else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    for person in (applicant, reviewer, steering):
        client.logout()
        if person == applicant:
            login(client, person.email, password)
        else:
            login_with_second_factor(client, person, password)
        for url in urls:
            assert client.get(url).status_code == 403
        for url in posts:
            assert client.post(url).status_code == 403
        with pytest.raises(PermissionDenied):
            services.practice_publish(practice_id=practice.pk, user=person)
    practice.refresh_from_db()
    assert (practice.status, practice.version) == ("draft", 1)
    assert events(carried_out, Event.Kind.PRACTICE_PUBLISHED) == []


def test_the_final_report_explains_what_is_published(client, draft, applicant, case_officer, reviewer, secretary,
                                                     password):
    from tests.flow_helpers import open_task, to_stage

    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    login(client, applicant.email, password)
    page = text_of(client.get(reverse("workflows:task", args=[open_task(draft).pk])))
    assert "Publicera projektet som gott exempel" in page
    assert "antalet deltagare (bara totalen)" in page
    assert "tar bort namn, kontaktuppgifter" in page


# -- public pages ------------------------------------------------------------------------------------------

def test_public_pages_need_no_login_in_both_languages(client, settings):
    practice = published_practice(title="Samtal om föreningsliv")
    pages = [reverse("catalogue:practice_list"), reverse("catalogue:practice_detail", args=[practice.pk]),
             reverse("catalogue:practice_map"), reverse("catalogue:opendata")]
    swedish = [client.get(url) for url in pages]
    assert [r.status_code for r in swedish] == [200, 200, 200, 200]
    assert "Goda exempel" in text_of(swedish[0]) and "Samtal om föreningsliv" in text_of(swedish[0])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = [client.get(url) for url in pages]
    assert [r.status_code for r in english] == [200, 200, 200, 200]
    assert "Good practice" in text_of(english[0]) and "Goda exempel" not in text_of(english[0])
    assert "Good practice by municipality" in text_of(english[2])
    # the catalogue is linked from every page's navigation and footer
    home = client.get(reverse("home")).content.decode()
    assert home.count(f'href="{reverse("catalogue:practice_list")}"') == 2


def test_drafts_and_taken_down_practices_are_404(client):
    draft = published_practice(title="Utkast", status="draft")
    down = published_practice(title="Nedtagen", status="unpublished")
    for practice in (draft, down):
        assert client.get(reverse("catalogue:practice_detail", args=[practice.pk])).status_code == 404
    listing = text_of(client.get(reverse("catalogue:practice_list")))
    assert "Utkast" not in listing and "Nedtagen" not in listing and "0 goda exempel" in listing


def test_filters_look_only_at_shown_fields(client):
    dialog, mikro = FundFactory(name="Dialogfonden", slug="dialog"), FundFactory(name="Mikrofonden", slug="mikro")
    a = published_practice(title="Alfa", municipality="Kalmar", fund=dialog, year=2025, themes=("languages",),
                           criteria=("relevance",))
    b = published_practice(title="Beta", municipality="Nybro", fund=mikro, year=2026, themes=("culture",),
                           criteria=("impact",))
    hidden = published_practice(title="Gamma", municipality="Nybro", fund=FundFactory(name="Dold", slug="dold"),
                                year=2019, themes=("culture",), criteria=("impact",))
    Practice.objects.filter(pk=hidden.pk).update(show_municipality=False, show_fund=False, show_year=False,
                                                 show_themes=False, show_criteria=False)

    def titles(**params):
        response = client.get(reverse("catalogue:practice_list"), params)
        return re.findall(r'<h3><a href="/goda-exempel/\d+/">([^<]+)</a></h3>', response.content.decode())

    assert titles() == ["Gamma", "Beta", "Alfa"]
    assert titles(municipality="0880") == ["Alfa"]
    assert titles(municipality="0881") == ["Beta"]
    assert titles(fund="mikro") == ["Beta"]
    assert titles(year="2025") == ["Alfa"]
    assert titles(theme="culture") == ["Beta"]
    assert titles(criterion="impact") == ["Beta"]
    assert titles(municipality="0881", year="2025") == []
    # an unknown value is reported and that filter left out
    response = client.get(reverse("catalogue:practice_list"), {"municipality": "9999"})
    assert "error-summary" in response.content.decode() and len(re.findall(r"<h3>", response.content.decode())) == 3
    # a municipality on the map without practices is a valid filter with no result
    response = client.get(reverse("catalogue:practice_list"), {"municipality": "0885"})
    assert "error-summary" not in response.content.decode() and titles(municipality="0885") == []
    # the hidden practice's year and fund are not offered as choices
    page = client.get(reverse("catalogue:practice_list")).content.decode()
    assert re.findall(r'<option value="(20\d\d)"', page) == ["2026", "2025"]
    assert re.findall(r'<option value="([a-z]+)"', page[page.index('name="fund"'):page.index('name="year"')]) == [
        "dialog", "mikro"]
    assert (a.year, b.year, hidden.year) == (2025, 2026, 2019)


def test_search_finds_words_in_shown_texts_only(client):
    published_practice(title="Samtalskvällar", what_was_done="Vi höll dialogerna på biblioteket.",
                       lessons="Hemlighetsfullt ord: zebrafink.")
    Practice.objects.update(show_lessons=False)  # a queryset update: the trigger refreshes the vector too
    published_practice(title="Matlagning", what_was_done="Vi lagade mat tillsammans.")

    def titles(q):
        response = client.get(reverse("catalogue:practice_list"), {"q": q})
        return re.findall(r'<h3><a href="/goda-exempel/\d+/">([^<]+)</a></h3>', response.content.decode())

    assert titles("biblioteket") == ["Samtalskvällar"]
    assert titles("mat") == ["Matlagning"]
    assert titles("zebrafink") == []
    assert titles("cykelverkstad") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Swedish stemming is PostgreSQL's full-text search")
def test_postgresql_search_finds_swedish_inflected_forms(client):
    published_practice(title="Samtalskvällar", what_was_done="Vi höll dialogerna på biblioteket.")
    published_practice(title="Matlagning", what_was_done="Vi lagade mat tillsammans.")

    def titles(q):
        response = client.get(reverse("catalogue:practice_list"), {"q": q})
        return re.findall(r'<h3><a href="/goda-exempel/\d+/">([^<]+)</a></h3>', response.content.decode())

    assert titles("dialog") == ["Samtalskvällar"]
    assert titles("dialogen") == titles("dialoger") == ["Samtalskvällar"]
    assert titles("samtalskväll") == ["Samtalskvällar"]
    assert titles("dialog -biblioteket") == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'practice_search_gin'")
        assert "USING gin (search_vector)" in cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored search vector is PostgreSQL's")
def test_a_text_replaced_without_the_services_is_no_longer_found(client):
    """Erasure and retention replace a person's name with a queryset update (workflows.privacy), not through
    the catalogue's services: the search must forget the old words all the same (the trigger of catalogue 0002)."""
    practice = published_practice(title="Samtalskvällar", what_was_done="Kim Zebrasson ledde dialogerna.")

    def titles(q):
        response = client.get(reverse("catalogue:practice_list"), {"q": q})
        return re.findall(r'<h3><a href="/goda-exempel/\d+/">([^<]+)</a></h3>', response.content.decode())

    assert titles("Zebrasson") == ["Samtalskvällar"]
    Practice.objects.filter(pk=practice.pk).update(what_was_done="[person] ledde dialogerna.")
    assert titles("Zebrasson") == []
    assert titles("dialog") == ["Samtalskvällar"]
    Practice.objects.filter(pk=practice.pk).update(title="Kvällar med Zebrasson")
    assert titles("Zebrasson") == ["Kvällar med Zebrasson"]


# -- the map -----------------------------------------------------------------------------------------------

def test_the_maps_counts_equal_the_tables_and_nothing_is_dropped(client, settings):
    stockholm = Municipality.objects.create(code="0180", name="Stockholm")
    unknown = Municipality.objects.create(code="9999", name="Okänd kommun")
    for name in ("Kalmar", "Kalmar", "Nybro", stockholm.name, unknown.name, "Kalmar"):
        published_practice(municipality=name)
    Practice.objects.filter(pk=Practice.objects.filter(municipality__name="Kalmar").first().pk).update(
        show_municipality=False)
    published_practice(municipality="Borgholm", status="draft")
    published_practice(municipality=None)
    settings.CATALOGUE_MAP_REGION = "08"
    html = client.get(reverse("catalogue:practice_map")).content.decode()
    areas = re.findall(r'<a href="/goda-exempel/\?municipality=(\d{4})" class="map-area level-(\d)" '
                       r'aria-label="([^"]+)" data-code="\d{4}" data-count="(\d+)">', html)
    rows = dict(re.findall(r'<tr data-code="(\d{4})"[^>]*><th scope="row"><a [^>]+>[^<]+</a>.*?</th>'
                           r'<td class="num">(\d+)</td>', html))
    assert len(areas) == 12  # Kalmar län's twelve municipalities, each a link with an accessible name
    map_counts = {code: int(count) for code, _level, _label, count in areas}
    assert {code: int(rows[code]) for code in map_counts} == map_counts
    assert (map_counts["0880"], map_counts["0881"], map_counts["0885"], map_counts["0821"]) == (2, 1, 0, 0)
    labels = {code: unescape(label) for code, _level, label, _count in areas}
    assert (labels["0880"], labels["0881"], labels["0885"]) == (
        "Kalmar: 2 goda exempel", "Nybro: 1 gott exempel", "Borgholm: 0 goda exempel")
    # outside the map: listed by name (the known code) and by its own name (an unknown code), not dropped
    assert (rows["0180"], rows["9999"]) == ("1", "1")
    assert "Stockholm" in html and "Okänd kommun" in html
    assert re.search(r'class="not-stated"><th scope="row">Kommun inte angiven</th><td class="num">2</td>', html)
    assert re.search(r'<tfoot><tr><th scope="row">Totalt</th><td class="num">7</td>', html)
    assert "4 goda exempel finns inte på kartan" in text_of(client.get(reverse("catalogue:practice_map")))
    # the sums agree: every published practice is counted exactly once
    data = map_data()
    assert data.total == Practice.objects.published().count() == sum(map_counts.values()) + 4


def test_the_map_region_is_a_setting(client, settings):
    published_practice(municipality="Kalmar")
    settings.CATALOGUE_MAP_REGION = "SE"
    html = client.get(reverse("catalogue:practice_map")).content.decode()
    assert html.count('class="map-area') == 290
    settings.CATALOGUE_MAP_REGION = "01"
    html = client.get(reverse("catalogue:practice_map")).content.decode()
    assert html.count('class="map-area') == 26 and 'data-code="0880" class="outside"' in html


# -- data and feed -----------------------------------------------------------------------------------------

def test_catalogue_json_csv_and_feed_hold_only_shown_fields(client):
    practice = published_practice(title="Språkcafé =HYPERLINK(1)", lessons="Dolda lärdomar.",
                                  what_was_done="=cmd|' /C calc'!A0")
    Practice.objects.filter(pk=practice.pk).update(show_lessons=False, show_fund=False)
    data = client.get(reverse("catalogue:catalogue_json")).json()
    assert data["count"] == 1
    item = data["practices"][0]
    assert (item["title"], item["lessons"], item["fund"], item["municipality"], item["municipality_code"],
            item["themes"], item["participants"]) == (
        "Språkcafé =HYPERLINK(1)", None, None, "Kalmar", "0880", ["Flerspråkighet"], 20)
    assert item["url"].endswith(f"/goda-exempel/{practice.pk}/")
    rows = list(csv.reader(io.StringIO(client.get(reverse("catalogue:catalogue_csv")).content.decode())))
    assert rows[0][:3] == ["id", "url", "title"] and len(rows) == 2
    assert rows[1][rows[0].index("organisation")] == practice.organisation_name and "Dolda" not in "".join(rows[1])
    assert rows[1][rows[0].index("what_was_done")] == "'=cmd|' /C calc'!A0"
    feed = client.get(reverse("catalogue:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["Språkcafé =HYPERLINK(1)"]
    assert entries[0].find("a:link", ns).get("href").endswith(f"/goda-exempel/{practice.pk}/")
    assert "Dolda" not in feed.content.decode()


def test_query_counts_do_not_grow_with_the_number_of_practices(client):
    for index in range(3):
        published_practice(title=f"Exempel {index}")
    urls = [reverse("catalogue:practice_list"), reverse("catalogue:practice_list") + "?q=exempel&theme=languages",
            reverse("catalogue:practice_map"), reverse("catalogue:catalogue_json"), reverse("catalogue:catalogue_csv"),
            reverse("catalogue:feed"), reverse("catalogue:opendata")]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    before = counts()
    for index in range(12):
        published_practice(title=f"Fler {index}")
    assert counts() == before
    assert json.loads(client.get(reverse("catalogue:catalogue_json")).content)["count"] == 15


def test_an_unknown_map_region_is_a_startup_error(settings):
    from catalogue.apps import map_region_check

    assert map_region_check() == []
    settings.CATALOGUE_MAP_REGION = "99"
    assert [error.id for error in map_region_check()] == ["catalogue.E001"]
