from django.urls import path

from grants.views import attachments as attachment_views
from grants.views import indicators as indicator_views
from grants.views import money as money_views
from grants.views import organisations as organisation_views
from grants.views import applicant as views

app_name = "grants"
urlpatterns = [
    # Public calls and the applicant's applications
    path("utlysningar/<int:pk>/", views.call_detail, name="call_detail"),
    path("tillganglighet/", views.accessibility, name="accessibility"),
    path("ansokningar/", views.my_applications, name="my_applications"),
    path("ansokningar/ny/<int:call_pk>/", views.application_new, name="application_new"),
    path("ansokningar/<int:pk>/", views.application_detail, name="application_detail"),
    path("ansokningar/<int:pk>/redigera/", views.application_edit, name="application_edit"),
    path("ansokningar/<int:pk>/autospara/", views.application_autosave, name="application_autosave"),
    path("ansokningar/<int:pk>/aterta/", views.application_withdraw, name="application_withdraw"),
    # Attachments: upload, remove, permission-checked download
    path("ansokningar/<int:pk>/bilagor/", attachment_views.attachment_add, name="attachment_add"),
    path("bilagor/<int:pk>/ta-bort/", attachment_views.attachment_remove, name="attachment_remove"),
    path("bilagor/<int:pk>/", attachment_views.attachment_download, name="attachment_download"),
    # Organisations, their contacts and invitations
    path("organisation/ny/", views.organisation_create, name="organisation_create"),
    path("organisation/<int:pk>/", organisation_views.organisation_detail, name="organisation_detail"),
    path("organisation/inbjudan/<str:token>/", organisation_views.invitation_accept, name="invitation_accept"),
    path("organisation/anslutning/<int:pk>/", organisation_views.join_request_decide, name="join_request_decide"),
    path("organisationer/", organisation_views.organisation_staff_list, name="organisation_staff_list"),
    path("organisationer/<int:pk>/", organisation_views.organisation_staff, name="organisation_staff"),
    path("organisationer/<int:pk>/verifiera/", organisation_views.organisation_verify, name="organisation_verify"),
    path("organisationer/<int:pk>/kontakter/", organisation_views.organisation_contacts_change,
         name="organisation_contacts_change"),
    # The money: budgets, payments, decision letters (staff; letters also for the applicant)
    path("fonder/", money_views.fund_years, name="fund_years"),
    path("fonder/<int:pk>/budget/", money_views.fund_budget, name="fund_budget"),
    path("utbetalningar/", money_views.payments, name="payments"),
    path("utbetalningar/<int:pk>/utbetald/", money_views.payment_mark_paid, name="payment_mark_paid"),
    path("beslut/<int:pk>/beslutsbrev.pdf", money_views.decision_letter, name="decision_letter"),
    path("arenden/<int:application_pk>/rattelse/", money_views.decision_correct, name="decision_correct"),
    path("arenden/<int:application_pk>/rattelse/<int:pk>/", money_views.correction_approval,
         name="correction_approval"),
    path("arenden/<int:application_pk>/avsluta/", money_views.grant_end, name="grant_end"),
    path("aterbetalningar/<int:pk>/mottagen/", money_views.repayment_mark_received, name="repayment_mark_received"),
    # Indicators: the dashboard and its exports (staff and the steering group)
    path("indikatorer/", indicator_views.dashboard, name="indicators"),
    path("indikatorer/<slug:slug>/<int:year>.<str:fmt>", indicator_views.export, name="indicators_export"),
]
