from django.urls import path

from . import views

app_name = "careplans"
urlpatterns = [
    path("depuis-fiche/<int:fiche_pk>/", views.create_from_fiche, name="create_from_fiche"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/remise/", views.hand_over, name="hand_over"),
    path("<int:pk>/nouvelle-version/", views.new_version, name="new_version"),
    path("<int:pk>/ppac/", views.create_ppac, name="create_ppac"),
]
