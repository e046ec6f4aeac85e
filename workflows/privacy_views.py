"""My data (every signed-in person) and the staff's personal-data pages with the erasure (docs/privacy.md)."""

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from common.errors import NotAllowed
from workflows import privacy
from django.http import HttpResponseNotAllowed


def _json_download(person, filename: str) -> HttpResponse:
    body = json.dumps(privacy.person_export(person), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _sections(request, person):
    sections = privacy.person_sections(person, request.GET)
    for section in sections:
        page, key = section["page"], section["key"]
        query = request.GET.copy()
        for direction, number in (("previous", page.has_previous() and page.previous_page_number()),
                                  ("next", page.has_next() and page.next_page_number())):
            if number:
                query[f"{key}_page"] = number
                section[f"{direction}_url"] = f"?{query.urlencode()}#h-{key}"
    return sections


@login_required
@require_safe
def my_data(request):
    """Mina uppgifter: everything Potten holds about the signed-in person, readable and as JSON."""
    return render(request, "workflows/my_data.html", {
        "person": request.user, "account": privacy.person_account(request.user),
        "sections": _sections(request, request.user), "controller": settings.PRIVACY_CONTROLLER,
    })


@login_required
@require_safe
def my_data_json(request):
    return _json_download(request.user, "mina-uppgifter.json")


@login_required
@require_safe
def people(request):
    """Staff (secretary, administrator): find a person to show or erase their data."""
    query = request.GET.get("q", "")
    found = privacy.people_for_staff(user=request.user, query=query)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "workflows/people.html", {"page_obj": page, "query": query})


class ErasureForm(forms.Form):
    confirm_email = forms.CharField(
        label=gettext_lazy("The person's e-mail address"), max_length=254,
        help_text=gettext_lazy("Type it to confirm that this is the person to erase. It cannot be undone."))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example: the person's request of 3 March, received by e-mail."))
    identifiers = forms.CharField(
        label=gettext_lazy("Further identifiers to remove (optional)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: a phone number, another spelling of the name … They are removed "
                               "from free text like the name and the address."))

    def identifier_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("identifiers", "").splitlines() if line.strip()]


@login_required
def person_detail(request, pk: int):
    """Staff: one person's data (as they would see them) and the erasure form."""
    person = privacy.person_get_for_staff(user=request.user, pk=pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                privacy.person_erase(person_id=person.pk, user=request.user, reason=form.cleaned_data["reason"],
                                     confirm_email=form.cleaned_data["confirm_email"],
                                     identifiers=form.identifier_list())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except NotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The person's data are erased; the account is now a pseudonym."))
                return redirect("workflows:person_detail", pk=person.pk)
        person.refresh_from_db()
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(request, "workflows/person.html", {
        "person": person, "account": privacy.person_account(person), "sections": _sections(request, person),
        "form": form, "erasures": person.erasures.select_related("erased_by"),
    }, status=400 if form.errors else 200)


@login_required
@require_safe
def person_json(request, pk: int):
    person = privacy.person_get_for_staff(user=request.user, pk=pk)
    return _json_download(person, f"personuppgifter-{person.pk}.json")
