"""Lists that show patients (search results, meeting lists, work lists, FHIR search pages): one audit event per
patient shown, so that each patient's access history names every screen that showed them (issue 9)."""

from . import services


def record_shown(*, actor, action: str, patient_ids, obj=None, details: dict | None = None,
                 per_patient: dict | None = None) -> int:
    """Write one event per distinct patient, in one transaction; `per_patient` adds details for some of them.
    Returns the number of events written."""
    ids = list(dict.fromkeys(pid for pid in patient_ids if pid is not None))
    return services.record_many(actor=actor, action=action, patient_ids=ids, obj=obj, details=details,
                                per_patient=per_patient)
