"""The public account request, under /compte/ (the address Pro Santé Connect sends unknown professionals to)."""

from django.urls import path

from . import request_views

app_name = "account_request"
urlpatterns = [
    path("demande/", request_views.new, name="new"),
    path("demande/enregistree/", request_views.done, name="done"),
    path("demande/rpps/", request_views.rpps_lookup, name="rpps_lookup"),
]
