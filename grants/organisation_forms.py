from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.organisations import INVITATION_VALID_FOR


class InvitationForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your colleague's e-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("We send them a link. It is valid for %(days)s days.") % {
            "days": INVITATION_VALID_FOR.days}
