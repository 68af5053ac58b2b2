from django.urls import path

from . import views, views_declarations

app_name = "infocentre"

urlpatterns = [
    path("", views.figures_page, name="figures"),
    path("activite/", views.activity_page, name="activity"),
    path("export/<str:table>.<str:fmt>", views.export, name="export"),
    path("declarations/", views_declarations.declarations, name="declarations"),
]
