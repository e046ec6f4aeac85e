from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("installningar/e-post/", views.email_settings, name="settings"),
    path("arenden/<int:application_pk>/e-post/<int:pk>/skicka-igen/", views.outbox_resend, name="resend"),
    path("e-post/ej-levererad/", views.outbox_undelivered, name="outbox"),
    path("e-post/<int:pk>/skicka-igen/", views.outbox_resend_unattached, name="resend_unattached"),
]
