from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.month, name="month"),
    path("abonnement/", views.subscription, name="subscription"),
    path("<str:token>.ics", views.feed, name="feed"),
]
