from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.mfa import ActivateTOTPView
from grants.views import applicant as grant_views

# The admin logs in through allauth (password, then the second factor), never through its own form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", grant_views.home, name="home"),
    path("healthz", grant_views.healthz, name="healthz"),
    # allauth's TOTP set-up page, which also records that the session passed the second factor
    path("konto/2fa/totp/activate/", ActivateTOTPView.as_view(), name="mfa_activate_totp"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's): the same icon.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("konto/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("grants.urls")),
    path("", include("workflows.urls")),
    path("", include("reviewers.urls")),
    path("", include("notifications.urls")),
    path("", include("catalogue.urls")),
]
