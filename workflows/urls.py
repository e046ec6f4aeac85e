from django.urls import path

from workflows import overview, step_views, views

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
    path("arenden/<int:pk>/flode.svg", views.case_diagram, name="case_diagram"),
]
