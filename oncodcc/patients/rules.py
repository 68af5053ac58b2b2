"""django-rules predicates over patients: `user.has_perm("patients.view_patient", patient)` asks access.py."""

import rules

from . import access


@rules.predicate
def can_view(user, patient):
    return patient is not None and access.can_view_patient(user, patient)


@rules.predicate
def can_edit(user, patient):
    return patient is not None and access.can_edit_patient(user, patient)


@rules.predicate
def can_view_history(user, patient):
    return patient is not None and access.can_view_access_history(user, patient)


rules.add_perm("patients.view_patient_record", can_view)
rules.add_perm("patients.edit_patient_record", can_edit)
rules.add_perm("patients.view_access_history", can_view_history)
