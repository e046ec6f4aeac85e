from django.urls import path

from catalogue import views

app_name = "catalogue"
urlpatterns = [
    # Public, no login
    path("goda-exempel/", views.practice_list, name="practice_list"),
    path("goda-exempel/<int:pk>/", views.practice_detail, name="practice_detail"),
    path("goda-exempel/karta/", views.practice_map, name="practice_map"),
    path("goda-exempel/goda-exempel.json", views.catalogue_json, name="catalogue_json"),
    path("goda-exempel/goda-exempel.csv", views.catalogue_csv, name="catalogue_csv"),
    path("goda-exempel/nya.atom", views.PracticeFeed(), name="feed"),
    path("oppna-data/", views.opendata_index, name="opendata"),
    path("oppna-data/360giving-<int:year>.<str:fmt>", views.opendata_360, name="opendata_360"),
    # Staff: prepare, edit, publish and take down
    path("goda-exempel/hantera/", views.manage_list, name="manage_list"),
    path("goda-exempel/hantera/<int:application_pk>/", views.manage_practice, name="manage_practice"),
    path("goda-exempel/hantera/<int:application_pk>/forbered/", views.practice_prepare, name="practice_prepare"),
    path("goda-exempel/hantera/<int:application_pk>/publicera/", views.practice_publish, name="practice_publish"),
    path("goda-exempel/hantera/<int:application_pk>/avpublicera/", views.practice_unpublish,
         name="practice_unpublish"),
]
