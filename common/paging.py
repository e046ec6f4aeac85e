"""Pages of a list: 50 rows at a time, each list of a page with its own query parameter.

`page_of(request, queryset, param="page")` gives a Django Page with what the pagination include
(templates/includes/pagination.html) shows: the links to the other pages, keeping every other parameter
of the request. The count is one COUNT query (or the `count` given, when the caller knows it already);
the rows are one query of at most `per_page` rows.
"""

from collections.abc import Iterable
from urllib.parse import urlencode

from django.core.paginator import Paginator
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
    parts = [f'\n\n<nav class="pagination" aria-label="{conditional_escape(label)}"><ul>\n  ']
    if page.has_previous():
        parts.append(f'<li><a href="{links(page=page.previous_page_number())}" rel="prev">'
                     f'{conditional_escape(gettext("Previous page"))}</a></li>')
    parts.append("\n  ")
    page_text = conditional_escape(gettext("Page"))
    for number in page_range:
        if number == Paginator.ELLIPSIS:
            parts.append('\n    <li><span aria-hidden="true">…</span></li>\n    \n  ')
        else:
            current = ' aria-current="page"' if number == page.number else ""
            parts.append(f'\n    <li><a href="{links(page=number)}"{current}><span class="visually-hidden">'
                         f"{page_text} </span>{number}</a></li>\n  ")
    parts.append("\n  ")
    if page.has_next():
        parts.append(f'<li><a href="{links(page=page.next_page_number())}" rel="next">'
                     f'{conditional_escape(gettext("Next page"))}</a></li>')
    parts.append("\n</ul></nav>\n\n")
    return mark_safe("".join(parts))  # noqa: S308 -- every part escaped
