from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.services.organisations import INVITATION_VALID_FOR
from django.core.validators import validate_email


class InvitationForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your colleague's e-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("We send them a link. It is valid for %(days)s days.") % {
            "days": INVITATION_VALID_FOR.days}


class JoinDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("Let them in")),
                                          ("decline", gettext_lazy("Decline"))])


class VerifyForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("How did you verify it? (optional)"), max_length=500, required=False,
                           help_text=gettext_lazy("For example: checked against the registration certificate."))


class ContactsChangeForm(forms.Form):
    """Staff move an organisation to its rightful contacts."""

    remove = forms.MultipleChoiceField(label=gettext_lazy("Remove these contacts"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    add = forms.CharField(
        label=gettext_lazy("Add contacts (e-mail addresses)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=gettext_lazy("One address a line. A person with a confirmed account becomes a contact at once; "
                               "anyone else gets an invitation that only that address can accept."))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Kept in the organisation's audit trail."))

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove"].choices = [(str(c.pk), f"{c.full_name or c.email} ({c.email})") for c in contacts]

    def clean_add(self):
        emails = []
        for line in self.cleaned_data["add"].replace(",", "\n").replace(";", "\n").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                validate_email(line)
            except forms.ValidationError:
                raise forms.ValidationError(_("“%(value)s” is not an e-mail address.") % {"value": line})
            emails.append(line.lower())
        return emails

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("remove") and not cleaned.get("add"):
            raise forms.ValidationError(_("Choose contacts to remove or give addresses to add."))
        return cleaned


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or organisation number"), required=False, max_length=100)
    show = forms.ChoiceField(label=gettext_lazy("Show"), required=False, choices=[
        ("", gettext_lazy("All organisations")),
        ("unverified", gettext_lazy("Not yet verified")),
        ("requests", gettext_lazy("With requests to join")),
    ])
