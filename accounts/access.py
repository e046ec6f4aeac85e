"""What a logged-in person may do, read once per request: their roles (groups) and permissions in one query.

Django's ModelBackend reads a user's own permissions and their groups' permissions in two queries, and
``accounts.roles.user_roles`` read the group names in a third, on every request that renders the menu.
``load_access`` reads all three in one query (a UNION ALL of the user's groups with their permissions and
the user's own permissions) and stores them where ModelBackend and ``user_roles`` look first, on the user
object of this request:

- ``_potten_roles``: the names of the user's groups;
- ``_user_perm_cache``, ``_group_perm_cache``, ``_perm_cache``: "app_label.codename" sets, exactly what
  ModelBackend would compute (it is not asked again while they are set).

Invariants: who may do what is unchanged. The caches live on the user object, which
``AuthenticationMiddleware`` loads anew for every request, so a role given or taken away counts from the
next request on, as before. Superusers and inactive users are left to ModelBackend (a superuser's
permissions are all permissions; an inactive user's are none); only their group names are read here.
``AccessBackend`` is listed first in ``AUTHENTICATION_BACKENDS``; ModelBackend stays listed after it so
that sessions that recorded it keep working, and it answers from the same caches.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, Value

ROLES_ATTR = "_potten_roles"


def load_access(user) -> None:
    """Read the user's group names and permissions in one query into the per-request caches (once)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None or hasattr(user, ROLES_ATTR):
        return
    own = Permission.objects.filter(user=user).values_list(
        Value(None, output_field=CharField()), "content_type__app_label", "codename").order_by()
    by_groups = Group.objects.filter(user=user).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename").order_by()
    group_names, own_perms, group_perms = set(), set(), set()
    for group_name, app_label, codename in own.union(by_groups, all=True):
        if group_name is None:
            own_perms.add(f"{app_label}.{codename}")
            continue
        group_names.add(group_name)
        if codename is not None:  # a group without permissions (applicants) gives one row of NULLs
            group_perms.add(f"{app_label}.{codename}")
    setattr(user, ROLES_ATTR, group_names)
    if user.is_active and not user.is_superuser:
        for name, perms in (("_user_perm_cache", own_perms), ("_group_perm_cache", group_perms),
                            ("_perm_cache", own_perms | group_perms)):
            if not hasattr(user, name):
                setattr(user, name, perms)


class AccessBackend(ModelBackend):
    """ModelBackend whose permission look-ups read the user's access in one query (``load_access``)."""

    def get_user_permissions(self, user_obj, obj=None):
        load_access(user_obj)
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None):
        load_access(user_obj)
        return super().get_group_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None):
        load_access(user_obj)
        return super().get_all_permissions(user_obj, obj)
