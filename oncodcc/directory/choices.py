"""Choosing practitioners in forms: one field and one queryset for every screen, so that each list reads the same
(name — specialty — organisations) and can be searched by any of those words."""

from django import forms
from django.db.models import Q

from oncodcc.core.widgets import Picker

from .models import Practitioner

# Specialties of a médecin traitant: general practice in its three national codes (qualified, specialist, plain).
GENERAL_PRACTICE = ("G15_10/SM26", "G15_10/SM53", "G15_10/SM54")


def practitioners(*keep_ids, specialties=None):
    """Active practitioners (the ones already chosen stay listed even when inactive), optionally of some
    specialties, with their organisations for the labels."""
    ids = [pk for pk in keep_ids if pk]
    listed = Q(active=True)
    if specialties is not None:
        listed &= Q(specialty__in=specialties)
    return (Practitioner.objects.filter(listed | Q(pk__in=ids))
            .prefetch_related("organisations").order_by("last_name", "first_name", "pk"))


def general_practitioners(*keep_ids):
    return practitioners(*keep_ids, specialties=GENERAL_PRACTICE)


class PractitionerChoiceField(forms.ModelChoiceField):
    widget = Picker

    def label_from_instance(self, obj: Practitioner) -> str:
        parts = [str(obj)]
        if obj.specialty:
            parts.append(obj.specialty_label)
        organisations = ", ".join(o.short_name or o.name for o in obj.organisations.all())
        if organisations:
            parts.append(organisations)
        return " — ".join(parts)
