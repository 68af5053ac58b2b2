"""Merging two records of the same person (PAM A40 from a hospital, or identity vigilance).

Every relation to Patient is listed in MERGE_RELATIONS with what a merge does with it; a test fails when a model
gains a foreign key to Patient that is not listed (OpenMRS lost clinical data to merges that forgot a table).
The absorbed record is kept, inactive (`merged_into`, flags DOUA + DESA), with a before-image of every row moved:
`unmerge` restores both records and moves those rows back."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action

from .models import CareTeamMember, Patient, PatientIdentifier, PatientMerge

MOVE = "move"  # re-point the rows to the survivor
MOVE_UNIQUE = "move_unique"  # re-point, dropping rows the survivor already has (care team)
KEEP = "keep"  # stays with the absorbed record (its own history)

# accessor name on Patient -> what a merge does.
MERGE_RELATIONS = {
    "identifiers": MOVE,
    "care_team": MOVE_UNIQUE,
    "registrations": MOVE,
    "fiches": MOVE,
    "care_plans": MOVE,
    "documents": MOVE,
    "break_glass_accesses": KEEP,  # an access was granted to that record, for its reason: not widened
    "merged_records": MOVE,  # records merged earlier into the absorbed one now point to the survivor
    "merges_received": KEEP,
    "merges_given": KEEP,
    # "pas un doublon" decisions name the records as they were reviewed: a merged record's stay with it
    "pair_decisions_low": KEEP,
    "pair_decisions_high": KEEP,
}


class MergeRefused(ValidationError):
    pass


def patient_relations() -> dict[str, object]:
    return {rel.get_accessor_name(): rel for rel in Patient._meta.related_objects}


@transaction.atomic
def merge(*, actor, survivor: Patient, absorbed: Patient, reason: str, drop_identifier: PatientIdentifier | None = None,
          channel: str = "web") -> PatientMerge:
    if survivor.pk == absorbed.pk:
        raise MergeRefused("Fusion d'un dossier avec lui-même refusée.")
    survivor = Patient.objects.select_for_update().get(pk=survivor.pk)
    absorbed = Patient.objects.select_for_update().get(pk=absorbed.pk)
    if absorbed.merged_into_id:
        raise MergeRefused("Ce dossier a déjà été fusionné dans un autre.")
    if survivor.merged_into_id:
        raise MergeRefused("Le dossier conservé a lui-même été fusionné : fusion circulaire refusée.")
    if survivor.ins_matricule and absorbed.ins_matricule and (
        survivor.ins_matricule, survivor.ins_oid) != (absorbed.ins_matricule, absorbed.ins_oid):
        raise MergeRefused("Fusion refusée : les deux dossiers portent des INS différents (collision à vérifier).")
    relations = patient_relations()
    unknown = set(relations) - set(MERGE_RELATIONS)
    if unknown:  # a new relation nobody decided about: refuse rather than lose data
        raise MergeRefused(f"Relations non prises en charge par la fusion : {', '.join(sorted(unknown))}.")
    before: dict[str, object] = {
        "absorbed": {"identity_flags": absorbed.identity_flags, "ins_matricule": absorbed.ins_matricule,
                     "ins_oid": absorbed.ins_oid, "identity_status": absorbed.identity_status},
        "survivor": {"ins_matricule": survivor.ins_matricule, "ins_oid": survivor.ins_oid,
                     "identity_status": survivor.identity_status, "gp_id": survivor.gp_id},
        "moved": {},
    }
    if drop_identifier is not None:
        before["dropped_identifier"] = {"system": drop_identifier.system, "value": drop_identifier.value}
        drop_identifier.delete()
    for accessor, rule in MERGE_RELATIONS.items():
        if rule == KEEP:
            continue
        rel = relations[accessor]
        model, fk = rel.related_model, rel.field.name
        rows = model.objects.filter(**{fk: absorbed})
        if rule == MOVE_UNIQUE and model is CareTeamMember:
            existing = set(CareTeamMember.objects.filter(patient=survivor).values_list("practitioner_id", flat=True))
            rows.filter(practitioner_id__in=existing).delete()
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            before["moved"][accessor] = ids
            model.objects.filter(pk__in=ids).update(**{fk: survivor})
    if not survivor.ins_matricule and absorbed.ins_matricule:
        survivor.ins_matricule, survivor.ins_oid = absorbed.ins_matricule, absorbed.ins_oid
        if absorbed.identity_status in {"RECUP", "QUAL"} and survivor.identity_status not in {"RECUP", "QUAL"}:
            survivor.identity_status = absorbed.identity_status
        absorbed.ins_matricule, absorbed.ins_oid = "", ""
        absorbed.save(update_fields=["ins_matricule", "ins_oid"])
    if not survivor.gp_id and absorbed.gp_id:
        survivor.gp_id = absorbed.gp_id
    survivor.save()
    absorbed.merged_into = survivor
    absorbed.identity_flags = sorted({*(absorbed.identity_flags or []), "DOUA", "DESA"} - {"DPOT"})
    absorbed.save(update_fields=["merged_into", "identity_flags"])
    record = PatientMerge.objects.create(survivor=survivor, absorbed=absorbed, actor_label=str(actor)[:200],
                                         reason=reason[:300], before_image=before)
    for patient in (survivor, absorbed):
        audit.record(actor=actor, action=Action.PATIENT_MERGE, patient=patient, obj=record,
                     details={"channel": channel, "survivor": survivor.pk, "absorbed": absorbed.pk})
    return record


@transaction.atomic
def merge_identifiers(*, actor, organisation, survivor_ipp: str, absorbed_ipp: str, survivor: Patient,
                      channel: str) -> PatientMerge | None:
    """PAM A40: the hospital says its IPP `absorbed_ipp` is the same person as `survivor_ipp` (already resolved to
    `survivor`). When both IPPs lead to the same DCC record, the old IPP is retired; when they lead to two records,
    the records are merged. An unknown old IPP changes nothing (the DCC never received it)."""
    if survivor_ipp == absorbed_ipp:
        raise MergeRefused("Fusion d'un IPP avec lui-même refusée.")
    old = PatientIdentifier.objects.select_related("patient").filter(system=organisation.oid, value=absorbed_ipp).first()
    if old is None:
        return None
    if old.patient_id == survivor.pk:
        audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=survivor, obj=survivor,
                     details={"channel": channel, "identifier_retired": organisation.oid})
        old.delete()
        return None
    return merge(actor=actor, survivor=survivor, absorbed=old.patient, drop_identifier=old, channel=channel,
                 reason=f"Fusion d'IPP reçue de {organisation}")


@transaction.atomic
def unmerge(*, actor, record: PatientMerge, reason: str, channel: str = "web") -> PatientMerge:
    """Undo a merge from its before-image: the absorbed record is active again with its flags, INS and status;
    every row the merge moved (and that still belongs to the survivor) goes back to it, a dropped IPP is given
    back; the survivor gets its own INS, status and GP back. Rows added to the survivor since the merge stay
    with it (nobody can tell whose they are: the reviewers move them by hand). Raises MergeRefused (French)."""
    record = PatientMerge.objects.select_for_update().get(pk=record.pk)
    if record.unmerged_at is not None:
        raise MergeRefused("Cette fusion a déjà été annulée.")
    survivor = Patient.objects.select_for_update().get(pk=record.survivor_id)
    absorbed = Patient.objects.select_for_update().get(pk=record.absorbed_id)
    if survivor.merged_into_id:
        raise MergeRefused(f"Le dossier conservé n° {survivor.pk} a depuis été fusionné dans le dossier n° "
                           f"{survivor.merged_into_id} : annulez d'abord cette fusion-là.")
    if absorbed.merged_into_id != survivor.pk:
        raise MergeRefused("Le dossier absorbé n'est plus rattaché au dossier conservé : annulation impossible.")
    before = record.before_image or {}
    relations = patient_relations()
    moved_back = {}
    for accessor, ids in (before.get("moved") or {}).items():
        rel = relations.get(accessor)
        if rel is None:
            continue
        model, fk = rel.related_model, rel.field.name
        count = model.objects.filter(pk__in=ids, **{fk: survivor}).update(**{fk: absorbed})
        moved_back[accessor] = count
    was_survivor = before.get("survivor") or {}
    was_absorbed = before.get("absorbed") or {}
    if "identity_status" in was_survivor:
        survivor.identity_status = was_survivor["identity_status"]
        survivor.gp_id = was_survivor.get("gp_id")
    if (was_absorbed.get("ins_matricule") and not was_survivor.get("ins_matricule")
            and survivor.ins_matricule == was_absorbed["ins_matricule"]):
        survivor.ins_matricule, survivor.ins_oid = "", ""  # the INS the merge gave it goes back (unique)
    survivor.save()
    absorbed.merged_into = None
    absorbed.identity_flags = list(was_absorbed.get("identity_flags") or [])
    absorbed.ins_matricule = was_absorbed.get("ins_matricule", absorbed.ins_matricule)
    absorbed.ins_oid = was_absorbed.get("ins_oid", absorbed.ins_oid)
    absorbed.identity_status = was_absorbed.get("identity_status", absorbed.identity_status)
    absorbed.save()
    dropped = before.get("dropped_identifier")
    if dropped and not PatientIdentifier.objects.filter(system=dropped["system"], value=dropped["value"]).exists():
        PatientIdentifier.objects.create(patient=absorbed, system=dropped["system"], value=dropped["value"])
    record.unmerged_at = timezone.now()
    record.unmerged_by_label = str(actor)[:200]
    record.unmerge_reason = reason[:300]
    record.save(update_fields=["unmerged_at", "unmerged_by_label", "unmerge_reason"])
    for patient in (survivor, absorbed):
        audit.record(actor=actor, action=Action.PATIENT_UNMERGE, patient=patient, obj=record,
                     details={"channel": channel, "survivor": survivor.pk, "absorbed": absorbed.pk,
                              "moved_back": moved_back, "reason": reason[:300]})
    return record
