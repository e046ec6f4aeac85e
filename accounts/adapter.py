from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.html import strip_tags

from accounts import login_limits, roles
from accounts.models import User
from notifications.services import account_mail_queue


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials):
        """Failed logins are limited per address, per (address, account) and per account from unknown
        sources (accounts/login_limits.py), answering 429, instead of allauth's lock per account alone."""
        self._login_failed_rl_usage = login_limits.consume_attempt(request, credentials.get("email", ""))

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if response is not None:
            login_limits.remember_source(request, response, user)
        return response

    def _delete_login_attempts_cached_email(self, request, **credentials):
        super()._delete_login_attempts_cached_email(request, **credentials)
        login_limits.clear_account(request, credentials.get("email", ""))

    def get_login_redirect_url(self, request):
        """Each role lands on its work: staff on their tasks, reviewers on their reviews, the steering group on the
        indicators, applicants on their applications."""
        mine = roles.user_roles(request.user)
        if mine & {roles.CASE_OFFICER, roles.SECRETARY}:
            return reverse("workflows:inbox")
        if roles.REVIEWER in mine:
            return reverse("reviewers:home")
        if roles.STEERING_GROUP in mine:
            return reverse("grants:indicators")
        return reverse("grants:my_applications")

    def get_email_confirmation_url(self, request, emailconfirmation):
        """The link in the confirmation mail carries where the visitor was going when they signed up (?next=),
        so confirming leads there, even when the link is opened in another browser."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        going_to = (request.POST.get("next") or request.GET.get("next") or "") if request is not None else ""
        if going_to and url_has_allowed_host_and_scheme(going_to, allowed_hosts={request.get_host()},
                                                        require_https=request.is_secure()):
            url = f"{url}?{urlencode({'next': going_to})}"
        return url

    def send_mail(self, template_prefix, email, context):
        """Account mails (address confirmation, password reset, …) go through the outbox like every mail:
        a row with retries and a record, sent at once by the delivery task after commit.

        Rendered by allauth's templates in the account holder's language, or the visitor's when the address
        has no account. allauth's rate limits apply before this is called, so they are unchanged.
        """
        request = allauth_context.request
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = (user.language if user is not None and user.language else translation.get_language()) or ""
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        text, html = message.body, next((content for content, mimetype in getattr(message, "alternatives", [])
                                         if mimetype == "text/html"), "")
        if message.content_subtype == "html":  # a template with an HTML body only
            text, html = strip_tags(message.body), message.body
        account_mail_queue(email=email, user=user, language=language, template=template_prefix,
                           subject=message.subject, body_text=text, body_html=html)
