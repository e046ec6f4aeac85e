from django.urls import path

from workflows import overview, privacy_views, step_views, views

app_name = "workflows"
urlpatterns = [
    path("uppgifter/", views.inbox, name="inbox"),
    path("uppgifter/<int:task_pk>/", views.task_page, name="task"),
    path("uppgifter/<int:task_pk>/komplettering/autospara/", step_views.completion_autosave,
         name="completion_autosave"),
    path("uppgifter/<int:task_pk>/slutrapport/autospara/", step_views.final_report_autosave,
         name="final_report_autosave"),
    path("uppgifter/<int:task_pk>/ta/", views.task_claim, name="claim"),
    path("uppgifter/<int:task_pk>/slapp/", views.task_release, name="release"),
    path("arenden/", overview.case_list, name="case_list"),
    path("arenden/<int:pk>/", views.case_detail, name="case_detail"),
    # Personal data (docs/privacy.md): everyone's own, and the staff's pages with the erasure
    path("mina-uppgifter/", privacy_views.my_data, name="my_data"),
    path("mina-uppgifter/mina-uppgifter.json", privacy_views.my_data_json, name="my_data_json"),
    path("personuppgifter/", privacy_views.people, name="people"),
    path("personuppgifter/<int:pk>/", privacy_views.person_detail, name="person_detail"),
    path("personuppgifter/<int:pk>/uppgifter.json", privacy_views.person_json, name="person_json"),
    path("arenden/<int:pk>/flode.svg", views.case_diagram, name="case_diagram"),
]
