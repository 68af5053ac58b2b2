from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="Identifiant", max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                                             "class": "form-control"}))
    password = forms.CharField(label="Mot de passe", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                                                 "class": "form-control"}))
    error_messages = {
        "invalid_login": "Identifiant ou mot de passe incorrect. Après plusieurs échecs, le compte est "
                         "temporairement bloqué.",
        "inactive": "Ce compte est désactivé.",
    }
