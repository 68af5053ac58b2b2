from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from .forms import LoginForm
from .psc import views as psc_views

app_name = "accounts"
urlpatterns = [
    path(
        "connexion/",
        login_not_required(auth_views.LoginView.as_view(template_name="accounts/login.html",
                                                        authentication_form=LoginForm, redirect_authenticated_user=True)),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("psc/connexion/", psc_views.start, name="psc_start"),
    path("psc/retour/", psc_views.callback, name="psc_callback"),
]
