from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("nouveau/", views.create, name="create"),
    path("bris-de-glace/", views.break_glass_log, name="break_glass_log"),
    path("identitovigilance/", views.vigilance_list, name="vigilance"),
    path("identitovigilance/<int:pk>/pas-un-doublon/", views.vigilance_dismiss, name="vigilance_dismiss"),
    path("identitovigilance/<int:pk>/fusionner/", views.vigilance_merge, name="vigilance_merge"),
    path("identitovigilance/certains/", views.vigilance_certain, name="vigilance_certain"),
    path("identitovigilance/indicateurs/", views.vigilance_indicators, name="vigilance_indicators"),
    path("identitovigilance/fusions/", views.vigilance_merges, name="vigilance_merges"),
    path("identitovigilance/fusions/<int:pk>/annuler/", views.vigilance_unmerge, name="vigilance_unmerge"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/acces/", views.access_history, name="access_history"),
    path("<int:pk>/bris-de-glace/", views.break_glass, name="break_glass"),
    path("<int:pk>/equipe/", views.care_team_add, name="care_team_add"),
]
