from accounts import roles as role_defs


def roles(request):
    """Role flags for the navigation."""
    user = request.user
    if not user.is_authenticated:
        return {"user_roles": set()}
    mine = role_defs.user_roles(user)
    return {
        "user_roles": mine,
        "is_staff_role": bool(mine & {role_defs.CASE_OFFICER, role_defs.SECRETARY}),
        "is_reviewer": role_defs.REVIEWER in mine,
        "can_see_indicators": user.has_perm("grants.view_indicators"),
        # workflows.privacy.may_manage_personal_data: the secretary and the administrator
        "can_manage_personal_data": user.is_superuser or role_defs.SECRETARY in mine,
    }
