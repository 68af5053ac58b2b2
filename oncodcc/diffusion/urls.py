from django.urls import path

from . import views

app_name = "diffusion"
urlpatterns = [
    path("documents/<int:pk>/", views.panel, name="panel"),
    path("envois/<int:pk>/renvoyer/", views.resend, name="resend"),
    path("erreurs/", views.errors, name="errors"),
    path("patients/<int:pk>/opposition-dmp/", views.dmp_opposition, name="dmp_opposition"),
]
