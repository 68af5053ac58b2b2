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


class SecondFactorForm(forms.Form):
    """The code of the sign-in's second step: 6 digits from the app, or a recovery code (letters and digits)."""

    code = forms.CharField(
        label="Code", max_length=32, strip=True,
        error_messages={"required": "Saisissez le code affiché par votre application, ou un code de secours."},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "class": "form-control",
                                      "spellcheck": "false", "autocapitalize": "off",
                                      "aria-describedby": "code-help"}))


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label="Code à 6 chiffres affiché par l'application", max_length=16, strip=True,
        error_messages={"required": "Saisissez le code à 6 chiffres affiché par votre application."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "class": "form-control"}))
