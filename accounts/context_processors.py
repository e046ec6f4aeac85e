"""The navigation's flags, computed only when a template uses them and then once per request.

Each value is lazy: a page that renders no menu (a redirect, a JSON answer) reads no roles. The first flag
used reads the user's roles and permissions in one query (accounts.access.load_access); every other flag,
``perms`` and the view's own permission checks answer from the same per-request caches.
"""

from django.utils.functional import SimpleLazyObject

from accounts import roles as role_defs

STAFF = frozenset({role_defs.CASE_OFFICER, role_defs.SECRETARY})
WIDE = frozenset({role_defs.CASE_OFFICER, role_defs.SECRETARY, role_defs.REVIEWER, role_defs.STEERING_GROUP})

FLAGS = ("is_staff_role", "is_reviewer", "can_see_indicators", "can_manage_personal_data", "wrap_class",
         "is_applicant")


def _flags(user) -> dict:
    mine = role_defs.user_roles(user)
    return {
        "is_staff_role": bool(mine & STAFF),
        "is_reviewer": role_defs.REVIEWER in mine,
        "can_see_indicators": user.has_perm("grants.view_indicators"),
        # workflows.privacy.may_manage_personal_data: the secretary and the administrator
        "can_manage_personal_data": user.is_superuser or role_defs.SECRETARY in mine,
        # Staff, reviewers and the steering group work in tables: their pages use the width of the screen.
        "wrap_class": "wrap wide" if mine & WIDE else "wrap",
        # "My applications" for applicants (and new accounts without a role), not for staff.
        "is_applicant": role_defs.APPLICANT in mine or not mine & WIDE,
    }


def roles(request):
    """Role flags for the navigation (lazy; see the module's docstring)."""
    user = request.user
    if not user.is_authenticated:
        return {"user_roles": set(), "wrap_class": "wrap"}
    computed = {}

    def flag(name):
        if not computed:
            computed.update(_flags(user))
        return computed[name]

    context = {name: SimpleLazyObject(lambda name=name: flag(name)) for name in FLAGS}
    context["user_roles"] = SimpleLazyObject(lambda: role_defs.user_roles(user))
    return context
