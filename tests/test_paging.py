"""common.paging.id_pages_of: several lists paged in one query answer exactly what page_of (Django's Paginator)
answers for each list alone, whatever the page parameters say (none, a page, past the end, below 1, not a
number), and keep every other parameter in their links."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from common.paging import id_pages_of, page_of, page_with_count
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PER_PAGE = 2


@pytest.fixture
def lists():
    start = timezone.now() - timedelta(days=30)
    for number in range(7):  # some on the same moment: the id decides between them
        UserFactory(email=f"a{number}@example.org", date_joined=start + timedelta(days=number // 2))
    for number in range(3):
        UserFactory(email=f"b{number}@example.org", date_joined=start - timedelta(days=number))
    users = User.objects.order_by("date_joined", "pk")
    return {"a": (users.filter(email__startswith="a"), "pa"), "b": (users.filter(email__startswith="b"), "pb"),
            "c": (users.filter(email__startswith="c"), "pc"), "none": (users.none(), "pn")}


def as_page_of(request, queryset, param):
    page = page_of(request, queryset.values_list("pk", flat=True), param=param, per_page=PER_PAGE)
    return page.number, list(page.object_list), page.paginator.count, page.links, page.previous_link, page.next_link


@pytest.mark.parametrize(("query", "expected_queries"), [
    ({}, 1), ({"pa": "2", "pb": "2"}, 1), ({"pa": "4"}, 1), ({"pa": "abc", "pb": "2.0"}, 1),
    ({"pa": "3", "q": "språk & <b>", "pc": "1"}, 1),
    # below 1 or too large to be a page: the first page is read with the count, then the last page
    ({"pa": "0", "pb": "-1"}, 2), ({"pa": "99999999999999999999999"}, 2),
    # past the end: no rows, so no count; counted, then the last page read
    ({"pa": "5", "pb": "9", "pc": "3"}, 3),
])
def test_id_pages_of_answers_what_page_of_answers_for_each_list(lists, query, expected_queries):
    request = RequestFactory().get("/", query)
    with CaptureQueriesContext(connection) as queries:
        pages = id_pages_of(request, lists, per_page=PER_PAGE)
    for name, (queryset, param) in lists.items():
        page = pages[name]
        found = (page.number, page.object_list, page.paginator.count, page.links, page.previous_link, page.next_link)
        assert found == as_page_of(request, queryset, param), (name, query)
    assert len(queries) == expected_queries


def test_id_pages_of_reads_nothing_for_lists_that_are_empty_by_construction(lists):
    with CaptureQueriesContext(connection) as queries:
        pages = id_pages_of(RequestFactory().get("/"), {"none": lists["none"]}, per_page=PER_PAGE)
    assert len(queries) == 0
    assert (pages["none"].paginator.count, pages["none"].object_list, pages["none"].number) == (0, [], 1)


def test_id_pages_of_refuses_lists_in_other_orders(lists):
    queryset, _param = lists["a"]
    with pytest.raises(ValueError):
        id_pages_of(RequestFactory().get("/"), {"a": (queryset.order_by("-date_joined"), "pa")})
    with pytest.raises(ValueError):
        id_pages_of(RequestFactory().get("/"), {"a": lists["a"], "b": (lists["b"][0].order_by("pk"), "pb")})


@pytest.mark.parametrize(("query", "expected_queries"), [
    ({}, 1), ({"pa": "2"}, 1), ({"pa": "4", "q": "språk & <b>"}, 1), ({"pa": "abc"}, 1), ({"pa": "2.0"}, 1),
    ({"pa": "0"}, 2), ({"pa": "-3"}, 2), ({"pa": "99999999999999999999999"}, 2), ({"pa": "5"}, 3),
])
@pytest.mark.parametrize("name", ["a", "c"])
def test_page_with_count_answers_what_page_of_answers(lists, query, expected_queries, name):
    queryset, _param = lists[name]
    rows = queryset.values_list("pk", "email")
    request = RequestFactory().get("/", query)
    with CaptureQueriesContext(connection) as queries:
        page = page_with_count(request, rows, param="pa", per_page=PER_PAGE)
    expected = page_of(request, rows, param="pa", per_page=PER_PAGE)
    assert (page.number, page.object_list, page.paginator.count, page.links, page.previous_link, page.next_link) == (
        expected.number, list(expected.object_list), expected.paginator.count, expected.links, expected.previous_link,
        expected.next_link)
    if name == "a":  # an empty list: a page past the end costs its count and no second read
        assert len(queries) == expected_queries


@pytest.mark.parametrize("language", ["sv", "en"])
def test_pagination_html_is_what_the_include_wrote(lists, language):
    from django.template.loader import get_template
    from django.utils import translation

    from common.paging import pagination_html

    include = get_template("includes/pagination.html")
    label = f"Sidor av “{HOSTILE}”"
    cases = [({"pa": number}, lists["a"], 1) for number in ("1", "4", "7", "2")] + [
        ({}, lists["b"], 5), ({}, lists["c"], 2), ({"pa": "2"}, lists["b"], 2)]
    with translation.override(language):
        for query, (queryset, _param), per_page in cases:
            request = RequestFactory().get("/", {**query, "q": HOSTILE})
            page = page_of(request, queryset, param="pa", per_page=per_page)
            assert pagination_html(page, label) == include.render({"page": page, "label": label}), (query, per_page)
    assert "…" in pagination_html(page_of(RequestFactory().get("/"), lists["a"][0], param="pa", per_page=1), label)


HOSTILE = "<script>alert(1)</script>\"'&"
