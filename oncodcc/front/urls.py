from django.urls import path

from . import home

app_name = "front"
urlpatterns = [
    path("", home.home, name="home"),
]
