from accounts import roles as role_defs


def roles(request):
    """Role flags for the navigation."""
    user = request.user
    if not user.is_authenticated:
        return {"user_roles": set(), "wrap_class": "wrap"}
    mine = role_defs.user_roles(user)
    return {
        "user_roles": mine,
        "is_staff_role": bool(mine & {role_defs.CASE_OFFICER, role_defs.SECRETARY}),
        "is_reviewer": role_defs.REVIEWER in mine,
        "can_see_indicators": user.has_perm("grants.view_indicators"),
        # workflows.privacy.may_manage_personal_data: the secretary and the administrator
        "can_manage_personal_data": user.is_superuser or role_defs.SECRETARY in mine,
        # Staff, reviewers and the steering group work in tables: their pages use the width of the screen.
        "wrap_class": "wrap wide" if mine & {role_defs.CASE_OFFICER, role_defs.SECRETARY, role_defs.REVIEWER,
                                             role_defs.STEERING_GROUP} else "wrap",
        # "My applications" for applicants (and new accounts without a role), not for staff.
        "is_applicant": role_defs.APPLICANT in mine or not mine & {
            role_defs.CASE_OFFICER, role_defs.SECRETARY, role_defs.REVIEWER, role_defs.STEERING_GROUP},
    }
