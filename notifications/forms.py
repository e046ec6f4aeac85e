from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class EmailSettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of your e-mails"), choices=settings.LANGUAGES,
                                 widget=forms.RadioSelect)
    email_frequency = forms.ChoiceField(
        label=_("How often do you want e-mails?"), choices=User.EmailFrequency.choices, widget=forms.RadioSelect,
        help_text=_("Decisions and deadlines always come at once. With a daily summary, other news (a new "
                    "application to check, a payment, a report received …) comes in one e-mail each morning."),
    )
