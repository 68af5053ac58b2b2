from django.contrib.auth import views as auth_views
from django.urls import path

from . import password_views, request_views, views
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
    path("activation/<str:uidb64>/<str:token>/", password_views.activate, name="activate"),
    path("mot-de-passe-oublie/", password_views.forgotten, name="password_forgotten"),
    path("mot-de-passe-oublie/envoye/", password_views.forgotten_sent, name="password_forgotten_sent"),
    path("mot-de-passe/<str:uidb64>/<str:token>/", password_views.reset_confirm, name="password_reset_confirm"),
    path("demandes/", request_views.worklist, name="request_list"),
    path("demandes/<int:pk>/", request_views.detail, name="request_detail"),
    path("demandes/<int:pk>/accepter/", request_views.accept, name="request_accept"),
    path("demandes/<int:pk>/refuser/", request_views.refuse, name="request_refuse"),
]
