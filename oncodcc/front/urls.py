from django.urls import path

from . import access_review, home

app_name = "front"
urlpatterns = [
    path("", home.home, name="home"),
    # Under /comptes/ with the other account pages; here because the review reads the RCP's boards.
    path("comptes/revue/", access_review.page, name="access_review"),
    path("comptes/revue/export.csv", access_review.export, name="access_review_csv"),
    path("comptes/revue/decision/", access_review.decide, name="access_review_decide"),
]
