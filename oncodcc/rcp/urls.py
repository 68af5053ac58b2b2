from django.urls import path

from oncodcc.questionnaires import views as organ_views

from .views import boards, fiches, meeting_mode, meetings, registrations

app_name = "rcp"
urlpatterns = [
    path("", boards.board_list, name="board_list"),
    path("<int:pk>/", boards.board_detail, name="board_detail"),
    path("calendrier/", meetings.calendar, name="calendar"),
    path("<int:board_pk>/seances/nouvelle/", meetings.meeting_create, name="meeting_create"),
    path("seances/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("seances/<int:pk>/statut/", meetings.meeting_status, name="meeting_status"),
    path("seances/<int:pk>/cloture/", meetings.meeting_close, name="meeting_close"),
    path("seances/<int:pk>/presences/", meetings.attendance, name="attendance"),
    path("seances/<int:pk>/presences/panneau/", meetings.attendance_panel, name="attendance_panel"),
    path("seances/<int:pk>/ordre/", meetings.reorder, name="reorder"),
    path("seances/<int:pk>/mode-rcp/", meeting_mode.start, name="meeting_mode"),
    path("seances/<int:pk>/mode-rcp/<int:position>/", meeting_mode.case, name="meeting_mode_case"),
    path("seances/<int:pk>/projection/", meeting_mode.projection_screen, name="meeting_projection"),
    path("seances/<int:pk>/projection/dossier/", meeting_mode.projection_content, name="meeting_projection_case"),
    path("inscriptions/nouvelle/", registrations.registration_create, name="registration_create"),
    path("inscriptions/<int:pk>/", registrations.registration_detail, name="registration_detail"),
    path("inscriptions/<int:pk>/reporter/", registrations.registration_move, name="registration_move"),
    path("inscriptions/<int:pk>/retirer/", registrations.registration_withdraw, name="registration_withdraw"),
    path("inscriptions/<int:pk>/seance-suivante/", registrations.registration_reregister, name="registration_reregister"),
    path("inscriptions/<int:pk>/fiche/", fiches.fiche_start, name="fiche_start"),
    path("fiches/<int:pk>/", fiches.fiche_detail, name="fiche_detail"),
    path("fiches/<int:pk>/modifier/", fiches.fiche_edit, name="fiche_edit"),
    path("fiches/<int:pk>/organe/", organ_views.organ_part, name="fiche_organ_part"),
    path("fiches/<int:pk>/valider/", fiches.fiche_validate, name="fiche_validate"),
    path("fiches/<int:pk>/corriger/", fiches.fiche_correct, name="fiche_correct"),
    path("fiches/<int:pk>/impression/", fiches.fiche_print, name="fiche_print"),
    path("codes/<str:list_id>/", fiches.code_suggestions_view, name="code_suggestions"),
]
