from django import template

from oncodcc.questionnaires import engine
from oncodcc.questionnaires.models import FicheAnswers

register = template.Library()


@register.simple_tag
def organ_answers(fiche):
    """{% organ_answers fiche as organ %}: the fiche's organ answers displayed with the form version it pins."""
    record = FicheAnswers.objects.select_related("questionnaire").filter(fiche=fiche).first()
    if record is None:
        return None
    form = record.questionnaire.form
    return {"questionnaire": record.questionnaire,
            "sections": engine.display_sections(form, engine.from_response(form, record.response))}
