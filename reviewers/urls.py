from django.urls import path

from reviewers import views

app_name = "reviewers"
urlpatterns = [
    path("bedomning/", views.home, name="home"),
    path("bedomning/<int:pk>/", views.assignment, name="assignment"),
    path("arenden/<int:application_pk>/bedomningar/", views.case_reviews, name="case_reviews"),
    path("arenden/<int:application_pk>/bedomningar/avsluta/", views.review_close, name="review_close"),
    path("arenden/<int:application_pk>/bedomningar/<int:pk>/tidsfrist/", views.assignment_deadline,
         name="assignment_deadline"),
    path("arenden/<int:application_pk>/bedomningar.csv", views.summary_csv, name="summary_csv"),
]
