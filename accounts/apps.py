from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import setting_changed

        from accounts import navigation
        from accounts.mfa import mark_in_process_login
        from accounts.roles import ensure_role_groups

        # After every migrate (and every test-database flush) the role groups exist
        # with exactly their permissions.
        post_migrate.connect(ensure_role_groups, dispatch_uid="potten-ensure-role-groups")
        # The second factor (accounts/mfa.py).
        user_logged_in.connect(mark_in_process_login, dispatch_uid="potten-mfa-in-process-login")
        # The page frame written once per language and role (accounts/navigation.py) is written anew when a
        # test changes a setting (the languages, the URLs).
        setting_changed.connect(navigation.clear, dispatch_uid="potten-navigation-clear")
