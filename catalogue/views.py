"""The public catalogue (no login), its data and feed, open data, and staff's publishing pages."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalogue import opendata, selectors, services
from catalogue.forms import PracticeForm, SearchForm, UnpublishForm
from catalogue.models import Practice
from grants.forms.applications import add_service_errors
from common.errors import NotAllowed

PER_PAGE = 20


def _page(request, queryset, per_page=PER_PAGE):
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    return page, list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


def practice_list(request):
    form = SearchForm(request.GET or None, facets=selectors.facets())
    filters = form.filters() if request.GET else {}
    page, page_range = _page(request, selectors.practices_search(**{k: v for k, v in filters.items() if v}))
    return render(request, "catalogue/list.html", {
        "form": form, "page_obj": page, "practices": page.object_list, "page_range": page_range,
        "ellipsis": page.paginator.ELLIPSIS, "filtered": any(filters.values()),
    })


def practice_detail(request, pk: int):
    return render(request, "catalogue/detail.html", {"practice": selectors.practice_get_public(pk=pk)})


def practice_map(request):
    return render(request, "catalogue/map.html", {"map": selectors.map_data()})


def _search_results(request):
    form = SearchForm(request.GET or None, facets=selectors.facets())
    filters = form.filters() if request.GET else {}
    return selectors.practices_search(**{k: v for k, v in filters.items() if v})


def catalogue_json(request):
    url_template = opendata.practice_url_template()
    practices = [opendata.practice_public_dict(p, url_template)
                 for p in opendata.practices_for_export(_search_results(request))]
    response = JsonResponse({"practices": practices, "count": len(practices)},
                            json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def catalogue_csv(request):
    response = HttpResponse(opendata.catalogue_csv(_search_results(request)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="goda-exempel.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


class PracticeFeed(Feed):
    """An Atom feed of newly published practices, for municipal sites and newsletters."""

    feed_type = Atom1Feed
    title = gettext_lazy("Potten: new good practice")
    subtitle = gettext_lazy("Projects carried out with support from the fund, published as good practice.")

    def link(self):
        return reverse("catalogue:practice_list")

    def items(self):
        return selectors.practices_public().order_by("-first_published_at", "-pk")[:50]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.what_was_done if item.show_what_was_done else ""

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_categories(self, item):
        return [theme.name for theme in item.themes.all()] if item.show_themes else []


def opendata_index(request):
    return render(request, "catalogue/opendata.html", {"years": opendata.granted_years()})


def opendata_360(request, year: int, fmt: str):
    if fmt not in ("json", "csv"):
        raise Http404
    with translation.override("en"):
        package = opendata.package(year)
    if package is None:
        raise Http404
    if fmt == "json":
        response = HttpResponse(json.dumps(package, ensure_ascii=False, indent=1),
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(opendata.package_csv(package["grants"]), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="360giving-{year}.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


# -- staff: prepare, edit, publish, take down ---------------------------------------------------

def _require_staff(user):
    if not user.has_perm("catalogue.publish_practice"):
        raise PermissionDenied


@login_required
def manage_list(request):
    _require_staff(request.user)
    page, page_range = _page(request, selectors.candidates_for_user(user=request.user))
    return render(request, "catalogue/manage_list.html", {
        "page_obj": page, "candidates": page.object_list, "page_range": page_range,
        "ellipsis": page.paginator.ELLIPSIS,
    })


@login_required
def manage_practice(request, application_pk: int):
    _require_staff(request.user)
    application = selectors.candidate_get_for_user(user=request.user, application_pk=application_pk)
    practice = Practice.objects.filter(application=application).first()
    form = None
    if practice is not None:
        form = PracticeForm(request.POST or None, instance=practice)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.practice_update(
                    practice_id=practice.pk, user=request.user, version=data["version"],
                    values={name: data[name] for name in services.EDITABLE_FIELDS},
                    themes=list(data["themes"]), criteria=list(data["criteria"]), shown=set(data["shown"]),
                    texts_checked=data["texts_checked"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            except NotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The practice is saved."))
                return redirect("catalogue:manage_practice", application_pk=application.pk)
        practice.refresh_from_db()
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "catalogue/manage_practice.html", {
        "application": application, "practice": practice, "form": form, "unpublish_form": UnpublishForm(),
        "findings": services.personal_data_findings(practice) if practice else [],
    })


@login_required
@require_POST
def practice_prepare(request, application_pk: int):
    _require_staff(request.user)
    application = selectors.candidate_get_for_user(user=request.user, application_pk=application_pk)
    try:
        services.practice_prepare(application_id=application.pk, user=request.user)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The practice is prepared from the final report. Edit it before you publish it."))
    return redirect("catalogue:manage_practice", application_pk=application.pk)


def _practice_for_staff(request, application_pk: int) -> Practice:
    application = selectors.candidate_get_for_user(user=request.user, application_pk=application_pk)
    practice = Practice.objects.filter(application=application).first()
    if practice is None:
        raise Http404
    return practice


@login_required
@require_POST
def practice_publish(request, application_pk: int):
    _require_staff(request.user)
    practice = _practice_for_staff(request, application_pk)
    try:
        services.practice_publish(practice_id=practice.pk, user=request.user)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The practice is published."))
    return redirect("catalogue:manage_practice", application_pk=application_pk)


@login_required
@require_POST
def practice_unpublish(request, application_pk: int):
    _require_staff(request.user)
    practice = _practice_for_staff(request, application_pk)
    form = UnpublishForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.practice_unpublish(practice_id=practice.pk, user=request.user, reason=reason)
    messages.success(request, _("The practice is taken down. It is no longer on any public page."))
    return redirect("catalogue:manage_practice", application_pk=application_pk)

