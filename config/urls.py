from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from grants import views as grant_views

urlpatterns = [
    path("", grant_views.home, name="home"),
    path("healthz", grant_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's): the same icon.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("konto/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("grants.urls")),
    path("", include("workflows.urls")),
    path("", include("reviewers.urls")),
    path("", include("notifications.urls")),
]
