from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from accounts.roles import ensure_role_groups

        # After every migrate (and every test-database flush) the role groups exist
        # with exactly their permissions.
        post_migrate.connect(ensure_role_groups, dispatch_uid="potten-ensure-role-groups")
