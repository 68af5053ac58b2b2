from django.urls import path

from . import views_search

app_name = "infocentre_search"

urlpatterns = [
    path("recherche/", views_search.search_page, name="search"),
    path("recherche/export.<str:fmt>", views_search.search_export, name="export"),
    path("recherche/enregistrer/", views_search.save_search, name="save"),
    path("recherche/enregistrees/<int:pk>/supprimer/", views_search.delete_saved_search, name="delete_saved"),
]
