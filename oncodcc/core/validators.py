from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .text import has_control_chars


def no_control_characters(value: str) -> None:
    if has_control_chars(value):
        raise ValidationError(_("Ce texte contient des caractères de contrôle non autorisés."), code="control_chars")
