from django.urls import path

from grants import views

app_name = "grants"
urlpatterns = [
    path("utlysningar/<int:pk>/", views.call_detail, name="call_detail"),
    path("organisation/ny/", views.organisation_create, name="organisation_create"),
    path("ansokningar/", views.my_applications, name="my_applications"),
    path("ansokningar/ny/<int:call_pk>/", views.application_new, name="application_new"),
    path("ansokningar/<int:pk>/", views.application_detail, name="application_detail"),
    path("ansokningar/<int:pk>/redigera/", views.application_edit, name="application_edit"),
]
