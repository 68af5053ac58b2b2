from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .psc import views as psc_views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("double-facteur/", views.verify, name="otp_verify"),
    path("double-facteur/enrolement/", views.setup, name="otp_setup"),
    path("double-facteur/codes-de-secours/", views.recovery_codes, name="otp_recovery_codes"),
    path("psc/connexion/", psc_views.start, name="psc_start"),
    path("psc/retour/", psc_views.callback, name="psc_callback"),
]
