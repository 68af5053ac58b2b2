"""Care plans (PPS): create from a validated fiche RCP, edit (optimistic locking), validate, hand over to the
patient (consultation d'annonce), and update as a new version with a reason (JDV_MotifMiseAJour).

Every function takes keyword arguments, checks access, runs in one transaction and writes its audit event there.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.locking import ConcurrentEditError, conditional_update
from oncodcc.core.text import has_control_chars
from oncodcc.documents import services as documents
from oncodcc.patients.policy import EDIT, AccessDenied, has_permission, require
from oncodcc.rcp.models import Fiche
from oncodcc.terminology import valuesets as vs

from . import signals
from .models import CarePlan, Contact, PlannedTreatment
from .policy import VIEW_CAREPLAN

# FRCP treatment types (JDV_TypeTraitement_FRCP) whose PPS code (JDV_TypeTraitementPPS) differs; the other codes
# are the same in both value sets, and FRCP-only codes (supportive / palliative care, specific drugs) are not
# anticancer treatments of the programme.
FRCP_TO_PPS_TREATMENT = {"C547": "C15445"}


class CarePlanValidationError(ValidationError):
    """Refused: `message_dict` maps each field to its French messages."""


@dataclass
class CarePlanInput:
    """What a writer submits: the plan's own fields and, when not None, the full ordered child lists."""

    fields: dict[str, Any]
    treatments: list[dict[str, Any]] | None = None
    contacts: list[dict[str, Any]] | None = None


# --- helpers ---------------------------------------------------------------------------------------------------

def _check_edit(actor, patient) -> None:
    if not has_permission(actor, EDIT, patient):
        raise AccessDenied("Vous n'avez pas accès à ce dossier.", patient_id=patient.pk)


def pps_treatment_code(frcp_code: str) -> str | None:
    code = FRCP_TO_PPS_TREATMENT.get(frcp_code, frcp_code)
    return code if code in vs.get(vs.PPS_TREATMENT_TYPE) else None


def snapshot(plan: CarePlan) -> dict[str, Any]:
    """The plan's editable content, comparable with a writer's input (conflict detection, copies)."""
    data = {name: getattr(plan, f"{name}_id" if name == "referring_doctor" else name)
            for name in CarePlan.EDITABLE_FIELDS}
    data["treatments"] = [{k: getattr(t, k) for k in PlannedTreatment.FIELDS} for t in plan.treatments.all()]
    data["contacts"] = [
        {k: getattr(c, f"{k}_id" if k in ("practitioner", "organisation") else k) for k in Contact.FIELDS}
        for c in plan.contacts.all()
    ]
    return data


def _field_value(name: str, value: Any) -> Any:
    return getattr(value, "pk", value) if name == "referring_doctor" else value


def _clean(data: CarePlanInput) -> None:
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, value in data.fields.items():
        if name not in CarePlan.EDITABLE_FIELDS:
            bad(name, "Ce champ ne se modifie pas ici.")
        elif name in CarePlan.CODED_LISTS:
            unknown = [c for c in value or [] if c not in vs.get(CarePlan.CODED_LISTS[name])]
            if unknown:
                bad(name, f"Code(s) inconnu(s) : {', '.join(unknown)}.")
        elif name == "update_reason" and value and value not in vs.get(vs.UPDATE_REASON):
            bad(name, "Motif de mise à jour inconnu.")
        elif isinstance(value, str) and has_control_chars(value):
            bad(name, "Caractères non autorisés.")
    for i, t in enumerate(data.treatments or [], 1):
        if t.get("code") not in vs.get(vs.PPS_TREATMENT_TYPE):
            bad(f"treatments.{i}.code", "Type de traitement inconnu.")
        if t.get("start_date") and t.get("end_date") and t["end_date"] < t["start_date"]:
            bad(f"treatments.{i}.end_date", "La fin prévue précède le début.")
    roles = set(Contact.Role.values)
    for i, c in enumerate(data.contacts or [], 1):
        if c.get("role") not in roles:
            bad(f"contacts.{i}.role", "Rôle inconnu.")
        if not (c.get("name") or "").strip():
            bad(f"contacts.{i}.name", "Indiquez le nom du contact.")
        if c.get("structure") and c["structure"] not in vs.get(vs.CARE_STRUCTURE):
            bad(f"contacts.{i}.structure", "Type de structure inconnu.")
    if errors:
        raise CarePlanValidationError(errors)


def _write_treatments(plan: CarePlan, rows: list[dict[str, Any]]) -> None:
    plan.treatments.all().delete()
    PlannedTreatment.objects.bulk_create([
        PlannedTreatment(plan=plan, **{**{k: v for k, v in row.items() if k in PlannedTreatment.FIELDS},
                                       "order": row.get("order") or i})
        for i, row in enumerate(rows, 1)
    ])


def _write_contacts(plan: CarePlan, rows: list[dict[str, Any]]) -> None:
    plan.contacts.all().delete()
    objs = []
    for i, row in enumerate(rows, 1):
        values = {k: v for k, v in row.items() if k in Contact.FIELDS}
        for fk in ("practitioner", "organisation"):
            if fk in values and not hasattr(values[fk], "pk"):
                values[f"{fk}_id"] = values.pop(fk)
        values["order"] = values.get("order") or i
        objs.append(Contact(plan=plan, **values))
    Contact.objects.bulk_create(objs)


def _default_contacts(fiche: Fiche, referring_doctor) -> list[dict[str, Any]]:
    ccc = fiche.registration.meeting.board.managing_3c
    rows = [{"role": Contact.Role.CCC, "name": ccc.name, "phone": ccc.phone, "organisation": ccc.pk}]
    if referring_doctor is not None:
        rows.append({"role": Contact.Role.REFERRING, "name": str(referring_doctor), "phone": referring_doctor.phone,
                     "email": referring_doctor.email, "practitioner": referring_doctor.pk})
    gp = fiche.patient.gp
    if gp is not None:
        rows.append({"role": Contact.Role.GP, "name": str(gp), "phone": gp.phone, "email": gp.email,
                     "practitioner": gp.pk})
    return rows


# --- reading ---------------------------------------------------------------------------------------------------

def view(*, actor, plan: CarePlan, purpose: str = "read") -> CarePlan:
    """A plan opened for reading or in its form (audited; a refusal too)."""
    # careplan.view: a validated plan to whoever opens the record, a draft only to those who work on the case.
    require(actor, VIEW_CAREPLAN, plan.patient, purpose=Action.CAREPLAN_VIEW, obj=plan, target=plan)
    details = {"version": plan.version_number}
    if purpose != "read":
        details["purpose"] = purpose
    audit.record(actor=actor, action=Action.CAREPLAN_VIEW, patient=plan.patient, obj=plan, details=details)
    return plan


def validation_errors(plan: CarePlan) -> dict[str, list[str]]:
    """What prevents validating the plan, in French (empty when it can be validated)."""
    errors: dict[str, list[str]] = {}

    def need(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if plan.referring_doctor_id is None:
        need("referring_doctor", "Indiquez le médecin référent.")
    if not plan.treatments.exists() and not plan.all_treatments_stopped:
        need("treatments", "Le programme thérapeutique est vide : ajoutez au moins un traitement ou cochez "
                           "« Arrêt de tous les traitements actifs ».")
    if plan.all_treatments_stopped and plan.treatments_stopped_on is None:
        need("treatments_stopped_on", "Indiquez la date de l'arrêt des traitements actifs.")
    if plan.kind == CarePlan.Kind.PPS and plan.rcp_date is None:
        need("rcp_date", "Indiquez la date de la RCP.")
    if plan.handed_over_at and plan.rcp_date and plan.handed_over_at < plan.rcp_date:
        need("handed_over_at", "La date de remise au patient ne peut pas précéder la date de la RCP.")
    if plan.version_number > 1 and not plan.update_reason:
        need("update_reason", "Indiquez le motif de la mise à jour (obligatoire à partir de la version 2).")
    return errors


# --- writing ---------------------------------------------------------------------------------------------------

@transaction.atomic
def create_from_fiche(*, actor, fiche: Fiche, referring_doctor=None) -> CarePlan:
    """A draft PPS following a validated fiche RCP, pre-filled with the proposal's first-line treatments (mapped
    to the PPS treatment types) and the useful contacts (the board's 3C, the referring doctor, the GP)."""
    fiche = Fiche.objects.select_related("registration__meeting__board__managing_3c", "patient__gp").get(pk=fiche.pk)
    _check_edit(actor, fiche.patient)
    if fiche.status != Fiche.Status.VALIDATED:
        raise CarePlanValidationError({"fiche": ["Le PPS suit une fiche RCP validée (dernière version)."]})
    existing = CarePlan.objects.filter(fiche=fiche, status=CarePlan.Status.DRAFT).first()
    if existing is not None:
        return existing
    if CarePlan.objects.filter(fiche=fiche, status=CarePlan.Status.VALIDATED).exists():
        raise CarePlanValidationError(
            {"fiche": ["Un PPS validé existe pour cette fiche RCP : créez-en une nouvelle version."]})
    plan = CarePlan.objects.create(
        kind=CarePlan.Kind.PPS, patient=fiche.patient, fiche=fiche, referring_doctor=referring_doctor,
        rcp_date=fiche.registration.meeting.local_start.date(), created_by=actor,
        follow_up=[], supportive_care=[], socio_support=[],
    )
    rows = []
    for t in fiche.treatments.filter(is_alternative=False):
        code = pps_treatment_code(t.code)
        if code is not None:
            rows.append({"code": code, "comment": t.detail})
    _write_treatments(plan, rows)
    _write_contacts(plan, _default_contacts(fiche, referring_doctor))
    audit.record(actor=actor, action=Action.CAREPLAN_CREATE, patient=plan.patient, obj=plan,
                 details={"kind": plan.kind, "fiche": fiche.pk, "fiche_version": fiche.version_number,
                          "set_id": str(plan.set_id)})
    return plan


# What the after-cancer plan takes over from the PPS when active treatment ends.
PPAC_CARRIED_FIELDS = ["referring_doctor", "follow_up", "follow_up_text", "supportive_care", "supportive_care_comment",
                       "socio_support", "socio_support_comment"]


@transaction.atomic
def create_ppac(*, actor, plan: CarePlan) -> CarePlan:
    """The after-cancer plan (PPAC), opened when active treatment ends: from the validated PPS whose treatments
    are stopped, with its follow-up, supportive care, social support and contacts carried over (to complete with
    the GP, who runs it)."""
    plan = CarePlan.objects.select_related("patient").get(pk=plan.pk)
    _check_edit(actor, plan.patient)
    if plan.kind != CarePlan.Kind.PPS or plan.status != CarePlan.Status.VALIDATED:
        raise CarePlanValidationError({"kind": ["Le PPAC se crée à partir du PPS validé en vigueur."]})
    if not plan.all_treatments_stopped:
        raise CarePlanValidationError({"all_treatments_stopped": [
            "Le PPAC suit la fin des traitements actifs : indiquez d'abord l'arrêt de tous les traitements actifs "
            "dans une nouvelle version du PPS."]})
    existing = CarePlan.objects.filter(patient=plan.patient, kind=CarePlan.Kind.PPAC,
                                       status__in=[CarePlan.Status.DRAFT, CarePlan.Status.VALIDATED]).first()
    if existing is not None:
        return existing
    ppac = CarePlan.objects.create(
        kind=CarePlan.Kind.PPAC, patient=plan.patient, created_by=actor, all_treatments_stopped=True,
        treatments_stopped_on=plan.treatments_stopped_on,
        side_effect_prevention=[], associated_measures=[],
        **{name: getattr(plan, name) for name in PPAC_CARRIED_FIELDS},
    )
    _write_contacts(ppac, [{name: getattr(c, name) for name in Contact.FIELDS} for c in plan.contacts.all()])
    audit.record(actor=actor, action=Action.CAREPLAN_CREATE, patient=plan.patient, obj=ppac,
                 details={"kind": ppac.kind, "from_pps": plan.pk, "set_id": str(ppac.set_id)})
    return ppac


@transaction.atomic
def update(*, actor, plan: CarePlan, expected_version: int, data: CarePlanInput) -> CarePlan:
    """Save a draft. ConcurrentEditError (with what differs) when someone saved in between (HTTP 409)."""
    plan = CarePlan.objects.select_related("patient").get(pk=plan.pk)
    _check_edit(actor, plan.patient)
    if not plan.is_editable:
        raise CarePlanValidationError(
            {"status": ["Un PPS validé ne se modifie pas : créez-en une nouvelle version."]})
    _clean(data)
    if plan.lock_version != expected_version:
        current = snapshot(plan)
        mine = {**current, **{k: _field_value(k, v) for k, v in data.fields.items()}}
        if data.treatments is not None:
            mine["treatments"] = data.treatments
        if data.contacts is not None:
            mine["contacts"] = data.contacts
        changes = {k: (mine[k], current[k]) for k in current if mine[k] != current[k]}
        raise ConcurrentEditError(current_version=plan.lock_version, changes=changes)
    for name, value in data.fields.items():
        setattr(plan, f"{name}_id" if name == "referring_doctor" and not hasattr(value, "pk") else name, value)
    plan.updated_at = timezone.now()
    fields = [("referring_doctor_id" if n == "referring_doctor" else n) for n in CarePlan.EDITABLE_FIELDS]
    conditional_update(plan, expected_version=expected_version, fields=[*fields, "updated_at"])
    if data.treatments is not None:
        _write_treatments(plan, data.treatments)
    if data.contacts is not None:
        _write_contacts(plan, data.contacts)
    audit.record(actor=actor, action=Action.CAREPLAN_UPDATE, patient=plan.patient, obj=plan,
                 details={"version": plan.version_number, "lock_version": plan.lock_version,
                          "fields": sorted(data.fields)})
    return plan


@transaction.atomic
def validate(*, actor, plan: CarePlan) -> CarePlan:
    """Validate a draft; the previous validated version of the same plan becomes superseded."""
    plan = CarePlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    _check_edit(actor, plan.patient)
    if plan.status != CarePlan.Status.DRAFT:
        raise CarePlanValidationError({"status": ["Ce PPS est déjà validé."]})
    errors = validation_errors(plan)
    if errors:
        raise CarePlanValidationError(errors)
    previous = list(CarePlan.objects.select_for_update().filter(set_id=plan.set_id,
                                                                status=CarePlan.Status.VALIDATED))
    plan.status = CarePlan.Status.VALIDATED
    plan.validated_at = timezone.now()
    plan.validated_by = actor
    plan.lock_version += 1
    plan.save(update_fields=["status", "validated_at", "validated_by", "lock_version", "updated_at"])
    for old in previous:
        old.status = CarePlan.Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action=Action.CAREPLAN_VALIDATE, patient=plan.patient, obj=plan,
                 details={"version": plan.version_number, "set_id": str(plan.set_id)})
    signals.care_plan_validated.send(sender=CarePlan, plan=plan)
    documents.register_care_plan(plan, actor=actor)
    return plan


@transaction.atomic
def hand_over(*, actor, plan: CarePlan, date: date, by) -> CarePlan:
    """Record the handing over of the plan to the patient (consultation d'annonce), on a draft or on the current
    validated version."""
    plan = CarePlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    _check_edit(actor, plan.patient)
    if plan.status == CarePlan.Status.SUPERSEDED:
        raise CarePlanValidationError({"status": ["Cette version du PPS a été remplacée."]})
    errors: dict[str, list[str]] = {}
    if date is None:
        errors["handed_over_at"] = ["Indiquez la date de remise au patient."]
    elif plan.rcp_date and date < plan.rcp_date:
        errors["handed_over_at"] = ["La date de remise au patient ne peut pas précéder la date de la RCP."]
    elif date > timezone.localdate():
        errors["handed_over_at"] = ["La date de remise au patient ne peut pas être dans le futur."]
    if by is None:
        errors["handed_over_by"] = ["Indiquez qui a remis le PPS au patient."]
    if errors:
        raise CarePlanValidationError(errors)
    plan.handed_over_at = date
    plan.handed_over_by = by
    plan.lock_version += 1
    plan.save(update_fields=["handed_over_at", "handed_over_by", "lock_version", "updated_at"])
    audit.record(actor=actor, action=Action.CAREPLAN_HANDOVER, patient=plan.patient, obj=plan,
                 details={"version": plan.version_number, "date": date.isoformat(), "by": by.pk})
    if plan.status == CarePlan.Status.VALIDATED and hasattr(plan, "document"):
        documents.refresh(plan.document)  # the hand-over date is part of the document
    return plan


@transaction.atomic
def new_version(*, actor, plan: CarePlan, reason_code: str, reason_text: str = "") -> CarePlan:
    """A draft copy of the latest validated version (same set_id, version + 1) carrying the update reason."""
    plan = CarePlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    _check_edit(actor, plan.patient)
    if plan.status != CarePlan.Status.VALIDATED:
        raise CarePlanValidationError({"status": ["Seule la version validée en vigueur d'un PPS se met à jour."]})
    reason_text = " ".join((reason_text or "").split())
    errors: dict[str, list[str]] = {}
    if reason_code not in vs.get(vs.UPDATE_REASON):
        errors["update_reason"] = ["Indiquez le motif de la mise à jour."]
    if has_control_chars(reason_text):
        errors["update_reason_text"] = ["Caractères non autorisés."]
    if CarePlan.objects.filter(set_id=plan.set_id, status=CarePlan.Status.DRAFT).exists():
        errors["status"] = ["Une mise à jour de ce PPS est déjà en cours."]
    if errors:
        raise CarePlanValidationError(errors)
    latest = CarePlan.objects.filter(set_id=plan.set_id).order_by("-version_number").first()
    content = snapshot(plan)
    copied = {("referring_doctor_id" if n == "referring_doctor" else n): content[n]
              for n in CarePlan.EDITABLE_FIELDS}
    copied.update(update_reason=reason_code, update_reason_text=reason_text)
    new = CarePlan.objects.create(
        kind=plan.kind, patient=plan.patient, fiche=plan.fiche, set_id=plan.set_id,
        version_number=latest.version_number + 1, created_by=actor, **copied,
    )
    _write_treatments(new, content["treatments"])
    _write_contacts(new, content["contacts"])
    audit.record(actor=actor, action=Action.CAREPLAN_NEW_VERSION, patient=plan.patient, obj=new,
                 reason=reason_text or vs.display(vs.UPDATE_REASON, reason_code),
                 details={"from_version": plan.version_number, "version": new.version_number,
                          "reason": reason_code})
    return new
