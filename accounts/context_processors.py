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
    }
