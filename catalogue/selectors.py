"""Reads for the catalogue. Public reads see only published practices and only their shown fields."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.http import Http404

from catalogue.geo import municipality_names, region_map
from catalogue.models import Practice
from grants.models import Application, FinalReport, Fund, Municipality, Theme
from reviewers.models import Criterion
from django.contrib.postgres.search import SearchQuery, SearchRank


def practices_public():
    return (Practice.objects.published().select_related("municipality", "fund").defer("search_vector")
            .prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("position", "pk")),
                              Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk"))))


def practice_get_public(*, pk: int) -> Practice:
    """A published practice; anything else (a draft, one taken down, none) is 404 at once."""
    practice = practices_public().filter(pk=pk).first()
    if practice is None:
        raise Http404
    return practice


def practices_search(*, q: str = "", municipality: str = "", fund: str = "", year: int | None = None,
                     theme: str = "", criterion: str = ""):
    """Published practices matching the search words and filters; each filter looks only at shown fields.

    PostgreSQL: full-text search with the 'swedish' configuration on the stored vector (so "dialog" finds
    "dialogerna"), best match first. SQLite: every word must appear (case-insensitively) in a shown text.
    """
    queryset = practices_public()
    if municipality:
        queryset = queryset.filter(show_municipality=True, municipality__code=municipality)
    if fund:
        queryset = queryset.filter(show_fund=True, fund__slug=fund)
    if year:
        queryset = queryset.filter(show_year=True, year=year)
    if theme:
        queryset = queryset.filter(show_themes=True, themes__code=theme)
    if criterion:
        queryset = queryset.filter(show_criteria=True, criteria__code=criterion)
    q = " ".join(q.split())
    if not q:
        return queryset.order_by("-first_published_at", "-pk")
    if connection.vendor == "postgresql":
        query = SearchQuery(q, config="swedish", search_type="websearch")
        return (queryset.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
                .order_by("-rank", "-first_published_at", "-pk"))
    for word in q.split():
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(show_organisation_name=True, organisation_name__icontains=word)
            | Q(show_what_was_done=True, what_was_done__icontains=word)
            | Q(show_for_whom=True, for_whom__icontains=word) | Q(show_lessons=True, lessons__icontains=word))
    return queryset.order_by("-first_published_at", "-pk")


def facets() -> dict:
    """The choices of the public filters: only values that some published practice shows."""
    published = Practice.objects.published()
    return {
        # Every municipality Potten knows and every one on the map, so each map link is a valid filter.
        "municipalities": sorted(
            {**{code: name for code, name in region_map(settings.CATALOGUE_MAP_REGION).names},
             **dict(Municipality.objects.values_list("code", "name"))}.items(), key=lambda pair: pair[1]),
        "funds": list(Fund.objects.filter(pk__in=published.filter(show_fund=True).values("fund")).order_by("name")),
        "years": sorted({year for year in published.filter(show_year=True, year__isnull=False)
                        .values_list("year", flat=True).distinct()}, reverse=True),
        "themes": list(Theme.objects.filter(pk__in=published.filter(show_themes=True).values("themes"))),
        "criteria": sorted({(code, name) for code, name in Criterion.objects.filter(
            pk__in=published.filter(show_criteria=True).values("criteria")).values_list("code", "name")},
            key=lambda pair: pair[1]),
    }


@dataclass
class MapRow:
    code: str
    name: str
    count: int
    shape: object = None  # the geo.Shape on the map; None for a row that is not on it
    level: int = 0  # 0–4, the fill's class


@dataclass
class MapData:
    region_map: object
    rows: list  # one per municipality on the map, by name
    outside: list  # published practices in municipalities not on the map (other regions, unknown codes)
    not_stated: int  # published practices whose municipality is missing or hidden
    total: int
    top: int

    @property
    def off_map(self) -> int:
        return sum(row.count for row in self.outside) + self.not_stated


def map_data(region: str | None = None) -> MapData:
    """Published practices per municipality of the region; nothing is dropped: what is not on the map
    is listed as outside it (by name, or by code when the code is unknown) or counted as not stated."""
    region_map_ = region_map(region or settings.CATALOGUE_MAP_REGION)
    counts = {}
    not_stated = 0
    for code, name, shown, count in (Practice.objects.published()
                                     .values_list("municipality__code", "municipality__name", "show_municipality")
                                     .annotate(n=Count("id")).order_by()):
        if code is None or not shown:
            not_stated += count
        else:
            previous = counts.get(code, (name, 0))
            counts[code] = (name, previous[1] + count)
    rows = [MapRow(code=shape.code, name=shape.name, count=counts.get(shape.code, ("", 0))[1], shape=shape)
            for shape in region_map_.shapes]
    known = municipality_names()
    outside = sorted((MapRow(code=code, name=known.get(code) or name, count=count)
                      for code, (name, count) in counts.items() if code not in region_map_.codes),
                     key=lambda row: row.name)
    top = max([row.count for row in rows] + [0])
    for row in rows:
        row.level = 0 if row.count == 0 else min(4, 1 + (3 * (row.count - 1)) // max(top - 1, 1))
    total = sum(row.count for row in rows) + sum(row.count for row in outside) + not_stated
    return MapData(region_map=region_map_, rows=rows, outside=outside, not_stated=not_stated, total=total, top=top)


# -- staff ---------------------------------------------------------------------------------------

def candidates_for_user(*, user):
    """Carried-out projects whose organisation agreed to publication, with their practice if any (staff)."""
    if not user.is_authenticated or not user.has_perm("catalogue.publish_practice"):
        return Application.objects.none()
    consent = FinalReport.objects.filter(application=OuterRef("pk"), outcome=FinalReport.Outcome.APPROVED,
                                         publish_consent=True)
    return (Application.objects.filter(status=Application.Status.CARRIED_OUT).filter(Exists(consent))
            .select_related("organisation", "call__fund", "practice").order_by("-status_changed_at", "-pk"))


def candidate_get_for_user(*, user, application_pk: int) -> Application:
    application = candidates_for_user(user=user).filter(pk=application_pk).first()
    if application is None:
        raise Http404
    return application
