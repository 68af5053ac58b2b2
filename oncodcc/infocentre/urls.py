from django.urls import path

from . import views, views_declarations, views_quality

app_name = "infocentre"

urlpatterns = [
    path("", views.figures_page, name="figures"),
    path("activite/", views.activity_page, name="activity"),
    path("export/<str:table>.<str:fmt>", views.export, name="export"),
    path("qualite/", views_quality.quality_page, name="quality"),
    path("qualite/export.<str:fmt>", views_quality.quality_export, name="quality_export"),
    path("declarations/", views_declarations.declarations, name="declarations"),
]
