"""The roles of DOMAIN.md as Django groups with exactly their permissions.

Group names are stable machine names; what people see is the translated label.
"""

from django.utils.translation import gettext_lazy as _
from django.contrib.auth.models import Group, Permission
from django.db.utils import OperationalError, ProgrammingError
from accounts.models import User
from accounts.access import ROLES_ATTR, load_access

APPLICANT = "applicant"
CASE_OFFICER = "case_officer"
REVIEWER = "reviewer"
SECRETARY = "secretary"
STEERING_GROUP = "steering_group"

LABELS = {
    APPLICANT: _("Applicant"),
    CASE_OFFICER: _("Case officer"),
    REVIEWER: _("Reviewer"),
    SECRETARY: _("Project secretary"),
    STEERING_GROUP: _("Steering group"),
}

# Permission codenames ("app_label.codename") each role holds.
PERMISSIONS = {
    APPLICANT: [],
    CASE_OFFICER: [
        "grants.view_all_applications",
        "grants.check_application",
        "grants.view_indicators",
        "catalogue.publish_practice",
        "grants.manage_organisations",
    ],
    REVIEWER: ["reviewers.review_application"],
    SECRETARY: [
        "grants.view_all_applications",
        "grants.decide_application",
        "grants.approve_final_report",
        "grants.view_indicators",
        "catalogue.publish_practice",
    ],
    STEERING_GROUP: ["grants.view_indicators"],
}


def ensure_role_groups(sender=None, apps=None, using="default", **kwargs):
    """Create or repair the role groups. Idempotent; runs after every migrate."""
    try:
        for group_name, perms in PERMISSIONS.items():
            group, _created = Group.objects.using(using).get_or_create(name=group_name)
            wanted = []
            for dotted in perms:
                app_label, codename = dotted.split(".")
                perm = Permission.objects.using(using).filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                if perm is None:  # the app's permissions are created later in the same migrate
                    continue
                wanted.append(perm)
            group.permissions.set(wanted)
    except (OperationalError, ProgrammingError):  # tables not there yet (partial migrate)
        return


def users_with_role(role: str):
    """The active people holding a role (for the mails a step sends to everyone in it)."""
    return User.objects.filter(groups__name=role, is_active=True).distinct()


def user_roles(user) -> set[str]:
    """The names of the user's groups, read once per request together with their permissions
    (accounts.access.load_access)."""
    if not user.is_authenticated:
        return set()
    load_access(user)
    return getattr(user, ROLES_ATTR)


def has_role(user, role: str) -> bool:
    return role in user_roles(user)
