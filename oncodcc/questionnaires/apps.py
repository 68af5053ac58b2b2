from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "oncodcc.questionnaires"
    label = "questionnaires"
    verbose_name = "Formulaires d'organe"
