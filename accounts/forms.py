from allauth.account import forms as allauth_forms
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.text import SingleLineFieldsMixin


class SignupExtraForm(SingleLineFieldsMixin, forms.Form):
    """Fields allauth's sign-up form adds before e-mail and password."""

    full_name = forms.CharField(label=_("Your name"), max_length=200,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}),
                                help_text=_("First name and surname, so the case officer knows who you are."))
    language = forms.ChoiceField(label=_("Language for e-mails"), choices=settings.LANGUAGES,
                                 initial=settings.LANGUAGE_CODE)

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"]
        user.language = self.cleaned_data["language"]
        user.save(update_fields=["full_name", "language"])


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form without the "forgot your password?" link inside the password field's help: the
    page shows that link after the button, so the tab order is e-mail, password, remember, log in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""
