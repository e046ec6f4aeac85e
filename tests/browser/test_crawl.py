"""Every page reachable by links, as every demo role (and anonymous), in Swedish and English, at 1280 and
360 px: 0 axe violations (WCAG 2.1 A/AA, WCAG 2.2 target size), focus never hidden under a sticky
element, no horizontal scroll at 360 px, 0 console errors, 0 CSP violations, no English UI word on a
Swedish page. Downloads (PDF, CSV, attachments) reached by links answer 200."""

import os
import time
from collections import Counter

import pytest
from django.urls import Resolver404, resolve

from tests.browser import pages
from tests.browser.conftest import DEMO_PASSWORD, SUMMARY

# The live server needs committed data (transaction=True); serialized_rollback brings back what the migrations
# put in (roles, municipalities) after the other browser test flushed the tables.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROLES = ["anonymous", "applicant", "case_officer", "reviewer", "secretary", "steering_group"]
# While working on one role's pages: POTTEN_BROWSER_ROLES=case_officer,secretary make test-browser
ROLES = [role for role in ROLES if role in os.environ.get("POTTEN_BROWSER_ROLES", ",".join(ROLES)).split(",")]
LANGUAGES = ["sv", "en"]
# Not crawled: Django's own admin (its UI, not Potten's), logging out, and links that only switch language.
SKIP_PREFIXES = ("/admin/", "/konto/logout/", "/i18n/")
# Not HTML pages (files, data, feeds): fetched, not crawled.
DOWNLOAD_NAMES = {"grants:decision_letter", "grants:attachment_download", "grants:indicators_export",
                  "reviewers:summary_csv", "catalogue:catalogue_json", "catalogue:catalogue_csv", "catalogue:feed",
                  "catalogue:opendata_360", "workflows:my_data_json", "workflows:person_json",
                  "workflows:case_diagram", "mfa_download_recovery_codes"}
# A path with a query string (sorting, filters, pages) is visited in at most this many variants.
MAX_QUERY_VARIANTS = 2


def _route(url: str) -> str | None:
    try:
        return resolve(pages.path_of(url).split("?")[0]).view_name
    except Resolver404:
        return None


def crawl(page, context, base_url, *, language, problems, visits, downloads):
    """Breadth first from the start page and the page a login lands on."""
    queue = [base_url + "/", page.url]
    seen, variants = set(), Counter()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        path = pages.path_of(url)
        if path.startswith(SKIP_PREFIXES):
            continue
        if "?" in path:
            variants[path.split("?")[0]] += 1
            if variants[path.split("?")[0]] > MAX_QUERY_VARIANTS:
                continue
        if _route(url) in DOWNLOAD_NAMES:
            response = context.request.get(url)
            if response.status != 200:
                problems.add(url, f"download answered {response.status}")
            downloads.add(path)
            continue
        page.set_viewport_size({"width": pages.WIDTHS[0], "height": pages.HEIGHT})
        response = page.goto(url)
        if response is None or response.status != 200:
            problems.add(url, f"answered {response.status if response else 'nothing'}")
            continue
        page.wait_for_load_state("load")
        for width in pages.WIDTHS:
            if width != pages.WIDTHS[0]:
                page.set_viewport_size({"width": width, "height": pages.HEIGHT})
            pages.check_page(page, problems, language=language, width=width)
            visits.append((path, language, width))
        queue.extend(link for link in pages.links(page, base_url) if link not in seen)


def test_every_page_as_every_role(chromium, live_server, demo):
    base_url = live_server.url
    problems = pages.Problems()
    visits_by_role, downloads = {}, set()
    started = time.monotonic()
    for role in ROLES:
        context = pages.new_context(chromium, language="sv", base_url=base_url)
        page = context.new_page()
        pages.watch(page, problems)
        if role != "anonymous":
            pages.log_in(page, demo[role].email, DEMO_PASSWORD)
        visits = visits_by_role.setdefault(role, [])
        for language in LANGUAGES:
            pages.set_language(context, language, base_url)
            page.goto("/")
            crawl(page, context, base_url, language=language, problems=problems, visits=visits, downloads=downloads)
        context.close()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in visits_by_role.values())
    distinct = {path for v in visits_by_role.values() for path, _l, _w in v}
    per_role = ", ".join(f"{role} {len({p for p, _l, _w in v})}" for role, v in visits_by_role.items())
    SUMMARY.append(f"browser crawl: {len(distinct)} distinct pages; pages per role: {per_role}; "
                   f"{total} page checks = pages × {len(ROLES)} roles × {len(LANGUAGES)} languages × "
                   f"{len(pages.WIDTHS)} widths; {len(downloads)} downloads; {elapsed:.0f} s")
    assert not problems.items, f"{len(problems.items)} problems:\n" + "\n".join(problems.items)
