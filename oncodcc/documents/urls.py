from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/statut/", views.status, name="status"),
    path("<int:pk>/retirer/", views.withdraw, name="withdraw"),
    path("<int:pk>/<str:fmt>/", views.download, name="download"),
]
