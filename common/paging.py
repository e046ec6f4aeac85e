"""Pages of a list: 50 rows at a time, each list of a page with its own query parameter.

`page_of(request, queryset, param="page")` gives a Django Page with what the pagination include
(templates/includes/pagination.html) shows: the links to the other pages, keeping every other parameter
of the request. The count is one COUNT query (or the `count` given, when the caller knows it already);
the rows are one query of at most `per_page` rows.
"""

from django.core.paginator import Paginator
from django.urls import reverse

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
