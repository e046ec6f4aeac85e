"""Pages of a list: 50 rows at a time, each list of a page with its own query parameter.

`page_of(request, queryset, param="page")` gives a Django Page with what the pagination include
(templates/includes/pagination.html) shows: the links to the other pages, keeping every other parameter
of the request. The count is one COUNT query (or the `count` given, when the caller knows it already);
the rows are one query of at most `per_page` rows.
"""

from collections.abc import Iterable
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Window
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.html import conditional_escape

PER_PAGE = 50


def url_for(name):
    """reverse(name, args=[pk]) for the many rows of a page, reversed once: a function of the pk (the path's
    only number)."""
    head, _zero, tail = reverse(name, args=[0]).rpartition("/0/")
    return lambda pk: f"{head}/{pk}/{tail}"


def page_of(request, queryset, *, param: str = "page", per_page: int = PER_PAGE, count: int | None = None,
            ids_first: bool = False):
    """`ids_first`: count and page over the ids of the filtered table alone (no joins), then load the
    page's rows with their joins by id: for lists whose filter is on one table and whose rows join many."""
    paginator = Paginator(queryset.values_list("pk", flat=True) if ids_first else queryset, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is never queried
    page = paginator.get_page(request.GET.get(param))
    if ids_first:
        ids = list(page.object_list)
        rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()} if ids else {}
        page.object_list = [rows[pk] for pk in ids if pk in rows]
    return _with_links(request, page, param)


def _with_links(request, page, param: str):
    """The page with what the pagination include shows: links to the other pages, every other parameter kept."""
    paginator = page.paginator

    def link(number) -> str:
        query = request.GET.copy()
        query[param] = number
        return "?" + query.urlencode()

    page.param = param
    page.links = [(number, None if number == Paginator.ELLIPSIS else link(number))
                  for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)]
    page.previous_link = link(page.previous_page_number()) if page.has_previous() else ""
    page.next_link = link(page.next_page_number()) if page.has_next() else ""
    return page


def _sql(queryset) -> tuple[str, tuple] | None:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _first_guess(raw) -> int:
    """The page a parameter names if it is a page that exists (as Paginator.validate_number reads it), else 1."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 10**9 else 1


def id_pages_of(request, lists: dict, *, per_page: int = PER_PAGE) -> dict:
    """Pages of several lists of ids, each with its own query parameter, in one query however many lists: each
    list's page asked for with the list's count (COUNT(*) OVER (): one scan for both), joined by UNION ALL; each
    part is the list's own query, so its plan is the one it has alone. A page asked for that has no rows (past
    the end, below 1) needs the count first: that list is counted, then read again, as Django's
    Paginator.get_page answers (two more queries, for such links only).

    `lists`: {name: (queryset, param)}, every queryset ordered by the same ascending fields (the UNION ALL is
    ordered by them again: it keeps no order of its own). Returns {name: Page} whose object_list is the page's
    ids, with the links of page_of."""
    names = list(lists)
    order = list(lists[names[0]][0].query.order_by) if names else []
    if not order or any(not isinstance(field, str) or field.startswith("-") for field in order):
        raise ValueError("id_pages_of needs lists ordered by ascending fields")
    # The columns: the list's number, the id, the other fields of the order, the list's count; the UNION ALL is
    # ordered by position: the list, then its order.
    fields = ["pk", *(field for field in order if field != "pk")]
    columns = ", ".join(str(2 + fields.index(field)) for field in order)
    compiled = {}
    for index, name in enumerate(names):
        queryset = lists[name][0]
        if list(queryset.query.order_by) != order:
            raise ValueError("id_pages_of needs lists ordered by the same fields")
        compiled[index] = _sql(queryset.order_by().values_list(*fields))  # None: the list is empty

    def read(numbers: dict) -> dict:
        """{list: ([ids], count)} of the pages `numbers` ({list: page number}); count None for an empty page."""
        parts, params = [], []
        for index, number in numbers.items():
            sql, part_params = compiled[index]
            parts.append(f"SELECT * FROM (SELECT {index} AS list, page{index}.*, COUNT(*) OVER () AS total "
                         f"FROM ({sql}) page{index} ORDER BY {columns} LIMIT {per_page} "
                         f"OFFSET {(number - 1) * per_page}) part{index}")
            params += part_params
        found = {index: ([], None) for index in numbers}
        with connection.cursor() as cursor:
            cursor.execute(f"{' UNION ALL '.join(parts)} ORDER BY 1, {columns}", params)
            for index, pk, *rest in cursor.fetchall():
                found[index][0].append(pk)
                found[index] = (found[index][0], rest[-1])
        return found

    def count(indexes) -> dict:
        sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM ({compiled[index][0]}) counted{index})"
                                    for index in indexes)
        with connection.cursor() as cursor:
            cursor.execute(sql, [param for index in indexes for param in compiled[index][1]])
            return dict(zip(indexes, cursor.fetchone()))

    guesses = {index: _first_guess(request.GET.get(lists[name][1])) for index, name in enumerate(names)
               if compiled[index] is not None}
    found = read(guesses) if guesses else {}
    counts = {index: total if total is not None else 0 for index, (_ids, total) in found.items()}
    unknown = [index for index, (_ids, total) in found.items() if total is None and guesses[index] > 1]
    counts.update(count(unknown) if unknown else {})
    pages, again = {}, {}
    for index, name in enumerate(names):
        queryset, param = lists[name]
        paginator = Paginator(queryset.values_list("pk", flat=True), per_page)
        paginator.count = counts.get(index, 0)  # a cached_property: set, it is never queried
        page = paginator.get_page(request.GET.get(param))  # its object_list: a slice, never read
        page.object_list = found[index][0] if index in found else []
        if paginator.count and page.number != guesses[index]:
            again[index] = page.number
        pages[name] = page
    for index, (ids, _total) in (read(again) if again else {}).items():
        pages[names[index]].object_list = ids
    for name, page in pages.items():
        _with_links(request, page, lists[name][1])
    return pages


def page_with_count(request, rows, *, param: str = "page", per_page: int = PER_PAGE):
    """page_of in one query: the page asked for read with the list's count (COUNT(*) OVER (): one scan for
    both; for lists of one person's things, some dozens of rows). `rows`: an ordered values_list queryset; the
    page's object_list is its tuples. A page asked for that has no rows (past the end, below 1) is counted, then
    read again, as Paginator.get_page answers (two more queries, for such links only)."""
    counted = rows.annotate(list_count=Window(Count("pk")))
    guess = _first_guess(request.GET.get(param))
    found = list(counted[(guess - 1) * per_page: guess * per_page])
    paginator = Paginator(rows, per_page)
    if found:
        paginator.count = found[0][-1]  # a cached_property: set, it is never queried
    elif guess == 1:
        paginator.count = 0
    page = paginator.get_page(request.GET.get(param))
    if page.number != guess:
        found = list(counted[(page.number - 1) * per_page: page.number * per_page])
    page.object_list = [row[:-1] for row in found]
    return _with_links(request, page, param)


def pagination_html(page, label) -> str:
    """What templates/includes/pagination.html writes for `page` (a page of page_of, id_pages_of or
    page_with_count) under the nav's `label`, written in Python: the same text (tests/test_paging.py compares
    the two), for lists written in Python whole (the inboxes)."""
    if page.paginator.num_pages <= 1:
        return mark_safe("\n")
    return _nav_html(label, conditional_escape(page.previous_link),
                     [(number, link and conditional_escape(link)) for number, link in page.links],
                     conditional_escape(page.next_link), page.number, lead="\n")


def _nav_html(label, previous: str, pages, following: str, current_number, *, lead: str) -> str:
    """The pagination's <nav> (what both pagination includes write after their leading line breaks `lead`): the
    links to the previous and the next page ("" for none) and to each of `pages`, (number, link; None for the
    ellipsis), every link already escaped for an attribute."""
    parts = [f'{lead}<nav class="pagination" aria-label="{conditional_escape(label)}"><ul>\n  ']
    if previous:
        parts.append(f'<li><a href="{previous}" rel="prev">{conditional_escape(gettext("Previous page"))}</a></li>')
    parts.append("\n  ")
    hidden = conditional_escape(gettext("Page"))
    for number, link in pages:
        if not link:
            parts.append('\n    <li><span aria-hidden="true">…</span></li>\n    \n  ')
        else:
            current = ' aria-current="page"' if number == current_number else ""
            parts.append(f'\n    <li><a href="{link}"{current}><span class="visually-hidden">'
                         f"{hidden} </span>{conditional_escape(number)}</a></li>\n  ")
    parts.append("\n  ")
    if following:
        parts.append(f'<li><a href="{following}" rel="next">{conditional_escape(gettext("Next page"))}</a></li>')
    parts.append("\n</ul></nav>\n\n")
    return mark_safe("".join(parts))  # noqa: S308 -- every value is escaped


class QueryLinks:
    """What {% querystring key=value … %} writes for a request's query string, written in Python: a list page
    shows some 25 such links (stages, sort headers, pages), and the tag copies the whole QueryDict for each.
    The same rules: a value None removes the key, a list sets its values, anything else sets one value; a key
    set keeps its place, a new one comes last; "" when both the request's and the new query are empty; the
    result escaped for an attribute, as the tag's output is. tests/test_paging.py compares the two."""

    def __init__(self, query_dict):
        self.items = list(query_dict.lists())
        self.empty = not query_dict

    def __call__(self, **changes) -> str:
        params = dict(self.items)
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            elif isinstance(value, Iterable) and not isinstance(value, str):
                params[key] = list(value)
            else:
                params[key] = [value]
        if not params and self.empty:
            return ""
        return conditional_escape("?" + urlencode([(key, str(value)) for key, values in params.items()
                                                   for value in values]))


def page_range_html(links: QueryLinks, page, page_range, label) -> str:
    """What templates/includes/page_range_pagination.html writes (with its leading and closing line breaks) for a
    Paginator page, its get_elided_page_range() and the nav's label, written in Python."""
    if page.paginator.num_pages <= 1:
        return "\n\n"
    return _nav_html(label, links(page=page.previous_page_number()) if page.has_previous() else "",
                     [(number, None if number == Paginator.ELLIPSIS else links(page=number)) for number in page_range],
                     links(page=page.next_page_number()) if page.has_next() else "", page.number, lead="\n\n")
