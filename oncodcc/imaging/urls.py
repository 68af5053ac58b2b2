from django.urls import path, register_converter

from . import views


class StudyUidConverter:
    # A DICOM UID: digits and dots, at most 64 characters (PS3.5 9.1).
    regex = r"[0-9][0-9.]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StudyUidConverter, "study_uid")

app_name = "imaging"
urlpatterns = [
    path("patient/<int:patient_id>/", views.panel, name="panel"),
    path("patient/<int:patient_id>/examen/<int:source_id>/<study_uid:study_uid>/", views.open_study, name="open"),
    path("image-cle/<int:pinned_id>/", views.key_image, name="key_image"),
    path("inscription/<int:registration_id>/epingler/", views.pin, name="pin"),
    path("inscription/<int:registration_id>/retirer/<int:pinned_id>/", views.unpin, name="unpin"),
]
