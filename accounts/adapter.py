from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from accounts import roles


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        """Staff and reviewers land on their tasks, applicants on their applications."""
        mine = roles.user_roles(request.user)
        if mine & {roles.CASE_OFFICER, roles.SECRETARY}:
            return reverse("workflows:inbox")
        if roles.REVIEWER in mine:
            return reverse("reviewers:home")
        if roles.STEERING_GROUP in mine:
            return reverse("home")
        return reverse("grants:my_applications")
