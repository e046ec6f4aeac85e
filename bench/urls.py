"""Potten's URLs plus /bench/floor/: the floor the load benchmark compares every page with."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as potten_urlpatterns
from grants.models import Application

FLOOR = engines["django"].from_string(
    "<!doctype html><html lang=sv><title>Golv</title><table>{% for row in rows %}<tr><td>{{ row.case_number }}"
    "<td>{{ row.title }}<td>{{ row.organisation.name }}<td>{{ row.call.fund.name }}<td>{{ row.call.title }}"
    "<td>{{ row.status }}<td>{{ row.requested_amount }}<td>{{ row.submitted_at|date:'Y-m-d' }}</tr>{% endfor %}"
    "</table>")


def floor(request):
    """The same 50 rows as the case list's first page, in one query, with nothing else."""
    rows = (Application.objects.exclude(status="draft").select_related("organisation", "call__fund")
            .only("case_number", "title", "status", "requested_amount", "submitted_at", "organisation__name",
                  "call__title", "call__fund__name").order_by("-submitted_at", "-pk")[:50])
    return HttpResponse(FLOOR.render({"rows": rows}))


urlpatterns = [path("bench/floor/", floor), *potten_urlpatterns]
