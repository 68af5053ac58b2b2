"""SMART discovery and the OAuth2 token endpoint (client credentials)."""

from django.urls import path

from . import views

app_name = "smart"

urlpatterns = [
    path(".well-known/smart-configuration", views.smart_configuration, name="configuration"),
    path("oauth/token", views.token, name="token"),
]
