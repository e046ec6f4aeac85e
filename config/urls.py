from django.contrib import admin
from django.urls import include, path

from grants import views as grant_views

urlpatterns = [
    path("", grant_views.home, name="home"),
    path("healthz", grant_views.healthz, name="healthz"),
    path("konto/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("grants.urls")),
    path("", include("workflows.urls")),
    path("", include("reviewers.urls")),
    path("", include("notifications.urls")),
    path("", include("catalogue.urls")),
]
