"""common.paging's links written in Python (QueryLinks, page_range_html) are what Django's {% querystring %} tag
and templates/includes/page_range_pagination.html write, character for character, in both languages and with
hostile text in the query string and the label."""

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from django.contrib.auth.models import AnonymousUser

from common.paging import QueryLinks, page_range_html

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"'&"
QUERIES = ["", "page=2", "q=%3Cscript%3Ealert(1)%3C/script%3E%22'%26&stage=review&stage=decision&page=7",
           "stage=review&q=%C3%B6land+%2B+x&sort=-amount", "a+b=1&a+b=2&%C3%A5=%E2%80%93&empty="]
CHANGES = [{}, {"page": None}, {"page": 3}, {"stage": None, "page": None}, {"stage": "granted", "page": None},
           {"sort": "-amount", "page": None}, {"stage": ["review", "ended"]}, {"new": HOSTILE}, {"q": None}]


def get(query):
    request = RequestFactory().get("/arenden/?" + query if query else "/arenden/")
    request.user = AnonymousUser()  # the context processors read it
    return request


def tag(request, changes) -> str:
    names = list(changes)
    source = "{% querystring " + " ".join(f"{name}=v{n}" for n, name in enumerate(names)) + " %}"
    return engines["django"].from_string(source).render(
        {f"v{n}": changes[name] for n, name in enumerate(names)}, request)


@pytest.mark.parametrize("query", QUERIES)
def test_query_links_are_what_the_querystring_tag_writes(query):
    request = get(query)
    links = QueryLinks(request.GET)
    for changes in CHANGES:
        assert links(**changes) == tag(request, changes), (query, changes)


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("query", ["", QUERIES[2]])
def test_the_page_links_are_what_the_include_writes(language, query):
    include = engines["django"].from_string(
        '{% include "includes/page_range_pagination.html" with label=label %}')
    request = get(query)
    links = QueryLinks(request.GET)
    with translation.override(language):
        for count, number in [(0, 1), (10, 1), (120, 1), (120, 2), (120, 3), (3000, 1), (3000, 4), (3000, 30),
                              (3000, 57), (3000, 60)]:
            page = Paginator(range(count), 50).get_page(number)
            page_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
            expected = include.render({"page_obj": page, "page_range": page_range, "ellipsis": Paginator.ELLIPSIS,
                                       "label": HOSTILE}, request)
            assert page_range_html(links, page, page_range, HOSTILE) == expected, (count, number)
