"""Fiches RCP: draft, save (optimistic locking), validate (sign), correct (new version)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.locking import ConcurrentEditError, conditional_update
from oncodcc.core.text import has_control_chars
from oncodcc.documents import services as documents
from oncodcc.patients.policy import EDIT, has_permission
from oncodcc.questionnaires import engine as organ_engine
from oncodcc.questionnaires import services as organ_forms
from oncodcc.terminology import valuesets as vs
from oncodcc.trials.models import Trial

from .. import quorum as quorum_rules
from .. import signals
from ..models import (
    Fiche,
    FurtherTest,
    ProposedTreatment,
    Registration,
    Tumour,
)
from ..policy import SIGN_FICHE
from . import signature_rules

MAX_TEXT = 40_000
TUMOUR_FIELDS = ["topography", "laterality", "morphology", "diagnosis_date", "tnm_t", "tnm_n", "tnm_m",
                 "tnm_edition", "other_stage", "comment"]
TREATMENT_FIELDS = ["code", "is_alternative", "detail"]
TEST_FIELDS = ["description", "earliest", "latest"]
FIRST_SIGNATURE_FIELDS = ["first_signed_by", "first_signed_at", "first_signer_name"]


@dataclass
class FicheInput:
    """What a writer submits: the fiche's own fields and its ordered child lists."""

    fields: dict[str, Any]
    tumours: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    further_tests: list[dict[str, Any]] = field(default_factory=list)
    # Organ-specific answers {linkId: raw value} for the fiche's pinned form; None leaves them as they are.
    organ_answers: dict[str, Any] | None = None


class FicheValidationError(ValidationError):
    """Validation refused: `message_dict` maps each field to its French messages. `can_reregister` says the
    one-click 'inscrire à la séance suivante' applies (discussed case without quorum)."""

    def __init__(self, errors: dict[str, list[str]], *, can_reregister: bool = False):
        super().__init__(errors)
        self.can_reregister = can_reregister


# --- reading helpers ---

def snapshot(fiche: Fiche) -> dict[str, Any]:
    """Comparable content of a fiche (fields and child lists), for diffs between concurrent writers."""
    data = {name: getattr(fiche, name) for name in Fiche.EDITABLE_FIELDS}
    data["tumours"] = [{f: getattr(t, f) for f in TUMOUR_FIELDS} for t in fiche.tumours.all()]
    data["treatments"] = [{f: getattr(t, f) for f in TREATMENT_FIELDS} for t in fiche.treatments.all()]
    data["further_tests"] = [{f: getattr(t, f) for f in TEST_FIELDS} for t in fiche.further_tests.all()]
    questionnaire, answers = organ_forms.answers_of(fiche)
    data["organ"] = _organ_display(questionnaire, answers)
    return data


def _organ_display(questionnaire, answers: dict[str, Any]) -> dict[str, str]:
    if questionnaire is None:
        return {}
    by_id = questionnaire.form.by_link_id
    return {by_id[k].text: organ_engine.display_value(by_id[k], v) for k, v in answers.items()}


def _input_snapshot(data: FicheInput, base: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **{k: v for k, v in data.fields.items() if k in Fiche.EDITABLE_FIELDS}}
    merged["tumours"] = [{f: t.get(f, "" if f != "diagnosis_date" else None) for f in TUMOUR_FIELDS} for t in data.tumours]
    merged["treatments"] = [{f: t.get(f, False if f == "is_alternative" else "") for f in TREATMENT_FIELDS} for t in data.treatments]
    merged["further_tests"] = [{f: t.get(f) if f != "description" else t.get(f, "") for f in TEST_FIELDS} for t in data.further_tests]
    if data.organ_answers is not None and base.get("_questionnaire") is not None:
        merged["organ"] = _organ_display(base["_questionnaire"], data.organ_answers)
    merged.pop("_questionnaire", None)
    return merged


# --- writing ---

def _registration_follows(registration: Registration, status: str) -> None:
    """The registration's state follows its fiche: a draft makes it "en cours", a validation "discuté"."""
    if registration.status in Registration.ACTIVE_STATUSES and registration.status != status:
        Registration.objects.filter(pk=registration.pk).update(status=status)
        registration.status = status


def _check_edit(actor, fiche_or_registration) -> None:
    if not has_permission(actor, EDIT, fiche_or_registration.patient):
        raise PermissionDenied("Vous n'avez pas accès à ce dossier.")


@transaction.atomic
def start(*, actor, registration: Registration) -> Fiche:
    """The draft fiche of a registration (created on first use, pre-filled from the board, the registration and
    the patient's last validated fiche)."""
    registration = Registration.objects.select_for_update().select_related("meeting__board", "patient").get(
        pk=registration.pk
    )
    _check_edit(actor, registration)
    existing = registration.fiches.filter(status=Fiche.Status.DRAFT).first()
    if existing:
        return existing
    if registration.fiches.filter(status=Fiche.Status.VALIDATED).exists():
        raise ValidationError({"status": "La fiche de ce passage est validée : utilisez « Corriger » pour en créer une nouvelle version."})
    if not registration.is_active:
        raise ValidationError({"status": "Cette inscription a été retirée ou reportée."})
    board = registration.meeting.board
    fiche = Fiche(
        registration=registration, patient=registration.patient, created_by=actor,
        nature=board.nature, organ_system=board.organ_system, organs=list(board.organs),
        care_types=list(board.care_types), is_recourse=board.is_recourse, is_paediatric=board.is_paediatric,
        motive_treatment=True, motive_recourse=board.is_recourse, motive_paediatric=board.is_paediatric,
        case_status=vs.CASE_DISCUSSED, question=registration.question, case_summary=registration.case_summary,
        complete_file=registration.complete_file,
    )
    previous = (
        Fiche.objects.filter(patient=registration.patient, status=Fiche.Status.VALIDATED)
        .order_by("-validated_at").first()
    )
    if previous:
        fiche.who_performance = previous.who_performance
        fiche.screening, fiche.screening_date = previous.screening, previous.screening_date
        fiche.phase = previous.phase
    fiche.save()
    _registration_follows(registration, Registration.Status.IN_PROGRESS)
    if previous:
        for tumour in previous.tumours.all():
            Tumour.objects.create(fiche=fiche, **{f: getattr(tumour, f) for f in TUMOUR_FIELDS}, position=tumour.position)
    organ_forms.start_for(fiche)
    audit.record(actor=actor, action=Action.FICHE_CREATE, patient=fiche.patient, obj=fiche,
                 details={"registration": registration.pk, "prefilled_from": previous.pk if previous else None})
    return fiche


def _clean_input(data: FicheInput) -> FicheInput:
    """Codes against the national value sets, texts free of control characters and of sane length."""
    errors: dict[str, list[str]] = {}
    f = data.fields

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    coded = {
        "nature": vs.NATURE_DISCUSSION, "organ_system": vs.ORGAN_SYSTEM, "case_status": vs.CASE_STATUS,
        "who_performance": vs.WHO_PERFORMANCE, "phase": vs.PHASE, "progression_type": vs.PROGRESSION,
    }
    for name, valueset in coded.items():
        if f.get(name) and f[name] not in vs.get(valueset):
            bad(name, "Code inconnu du jeu de valeurs national.")
    for name, valueset in (("organs", vs.ORGAN), ("care_types", vs.CROSS_CUTTING_CARE)):
        if any(code not in vs.get(valueset) for code in f.get(name) or []):
            bad(name, "Code inconnu du jeu de valeurs national.")
    for name, value in f.items():
        if isinstance(value, str):
            if has_control_chars(value):
                bad(name, "Ce texte contient des caractères de contrôle non autorisés.")
            elif len(value) > MAX_TEXT:
                bad(name, f"Texte trop long ({len(value)} caractères, {MAX_TEXT} au plus).")
    trial_id = f.get("proposed_trial_id")
    if trial_id is not None and not Trial.objects.filter(pk=trial_id).exists():
        bad("proposed_trial_id", "Cet essai n'existe pas dans le registre régional.")
    for i, t in enumerate(data.tumours, start=1):
        if t.get("topography") and t["topography"] not in vs.get(vs.TOPOGRAPHY):
            bad("tumours", f"Tumeur {i} : topographie inconnue de la CIM-10 (JDV_Tumeur_CISIS).")
        if t.get("morphology") and t["morphology"] not in vs.get(vs.MORPHOLOGY):
            bad("tumours", f"Tumeur {i} : morphologie inconnue de la CIM-O-3.")
        if t.get("laterality") and t["laterality"] not in vs.get(vs.LATERALITY):
            bad("tumours", f"Tumeur {i} : latéralité inconnue.")
    for i, t in enumerate(data.treatments, start=1):
        if t.get("code") not in vs.get(vs.TREATMENT_TYPE):
            bad("treatments", f"Traitement {i} : type inconnu de JDV_TypeTraitement_FRCP.")
    for i, t in enumerate(data.further_tests, start=1):
        if t.get("earliest") and t.get("latest") and t["earliest"] > t["latest"]:
            bad("further_tests", f"Examen {i} : la date au plus tôt est après la date au plus tard.")
    for child in (*data.tumours, *data.treatments, *data.further_tests):
        if any(isinstance(v, str) and has_control_chars(v) for v in child.values()):
            bad("tumours", "Un texte contient des caractères de contrôle non autorisés.")
    if errors:
        raise FicheValidationError(errors)
    return data


def _write_children(fiche: Fiche, data: FicheInput) -> None:
    fiche.tumours.all().delete()
    fiche.treatments.all().delete()
    fiche.further_tests.all().delete()
    Tumour.objects.bulk_create(
        Tumour(fiche=fiche, position=i, **{k: t.get(k) or ("" if k != "diagnosis_date" else None) for k in TUMOUR_FIELDS})
        for i, t in enumerate(data.tumours, start=1)
    )
    ProposedTreatment.objects.bulk_create(
        ProposedTreatment(fiche=fiche, sequence=i, code=t["code"], is_alternative=bool(t.get("is_alternative")),
                          detail=t.get("detail") or "")
        for i, t in enumerate(data.treatments, start=1)
    )
    FurtherTest.objects.bulk_create(
        FurtherTest(fiche=fiche, description=t["description"], earliest=t.get("earliest"), latest=t.get("latest"))
        for t in data.further_tests if t.get("description")
    )


@transaction.atomic
def save(*, actor, fiche: Fiche, expected_version: int, data: FicheInput) -> Fiche:
    """Save a draft. Raises ConcurrentEditError (with what differs) when someone saved in between."""
    fiche = Fiche.objects.select_related("registration__meeting__board", "patient").get(pk=fiche.pk)
    _check_edit(actor, fiche)
    if not fiche.is_editable:
        raise ValidationError({"status": "Une fiche validée ne se modifie pas : utilisez « Corriger »."})
    data = _clean_input(data)
    questionnaire, _current_answers = organ_forms.answers_of(fiche)
    if data.organ_answers is not None and questionnaire is not None:
        try:
            data.organ_answers = organ_engine.validate(questionnaire.form, data.organ_answers)
        except organ_engine.AnswerErrors as exc:
            raise FicheValidationError({f"q__{k}": [v] for k, v in exc.errors.items()}) from exc
    if fiche.lock_version != expected_version:
        current = snapshot(fiche)
        mine = _input_snapshot(data, {**current, "_questionnaire": questionnaire})
        changes = {k: (mine[k], current[k]) for k in current if mine.get(k) != current[k]}
        raise ConcurrentEditError(current_version=fiche.lock_version, changes=changes)
    for name, value in data.fields.items():
        if name in Fiche.EDITABLE_FIELDS:
            setattr(fiche, name, value)
    if fiche.trial_proposed is not True:
        fiche.proposed_trial_id = None  # no trial proposed: no registry trial either, whoever writes
    fiche.updated_at = timezone.now()
    # A first signature was given to the content as it was: any new save withdraws it (both sign the same text).
    withdrawn_signature = fiche.first_signed_by_id is not None
    fiche.first_signed_by, fiche.first_signed_at, fiche.first_signer_name = None, None, ""
    conditional_update(fiche, expected_version=expected_version,
                       fields=[*Fiche.EDITABLE_FIELDS, "updated_at", *FIRST_SIGNATURE_FIELDS])
    _write_children(fiche, data)
    if data.organ_answers is not None and questionnaire is not None:
        organ_forms.store(fiche, questionnaire, data.organ_answers)
    audit.record(actor=actor, action=Action.FICHE_UPDATE, patient=fiche.patient, obj=fiche,
                 details={"version": fiche.lock_version, **({"first_signature_withdrawn": True}
                                                            if withdrawn_signature else {})})
    return fiche


def validation_errors(fiche: Fiche, quorum: quorum_rules.Quorum) -> tuple[dict[str, list[str]], bool]:
    """The national minimum data set and the RCP rules. Returns (errors by field, can_reregister)."""
    errors: dict[str, list[str]] = {}

    def need(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not fiche.nature:
        need("nature", "Indiquez la nature de la discussion (RCP d'organe ou transversale).")
    elif fiche.nature == vs.NATURE_ORGAN:
        if not fiche.organ_system:
            need("organ_system", "Indiquez l'appareil.")
        if not fiche.organs:
            need("organs", "Indiquez au moins un organe.")
    elif not fiche.care_types:
        need("care_types", "Indiquez le traitement ou le soin (RCP transversale).")
    if not (fiche.motive_diagnostic or fiche.motive_treatment or fiche.motive_recourse or fiche.motive_paediatric):
        need("motive_treatment", "Cochez au moins un motif de RCP.")
    if fiche.screening is None:
        need("screening", "Indiquez si le cancer a été découvert par dépistage.")
    tumours = list(fiche.tumours.all())
    if not tumours:
        need("tumours", "Décrivez au moins une tumeur (topographie CIM-10 et morphologie CIM-O-3).")
    for i, tumour in enumerate(tumours, start=1):
        if not tumour.topography:
            need("tumours", f"Tumeur {i} : la topographie (CIM-10) est obligatoire.")
        if not tumour.morphology:
            need("tumours", f"Tumeur {i} : la morphologie (CIM-O-3) est obligatoire.")
        if not tumour.diagnosis_date:
            need("tumours", f"Tumeur {i} : la date du diagnostic est obligatoire.")
    if not fiche.phase:
        need("phase", "Indiquez la phase de la maladie (initiale ou rechute).")
    if fiche.progression and not fiche.progression_type:
        need("progression_type", "Précisez la progression (locale, régionale ou à distance).")
    if not fiche.case_summary.strip():
        need("case_summary", "La synthèse du cas présenté est obligatoire.")
    if not fiche.question.strip():
        need("question", "La question posée à la RCP est obligatoire.")
    if not fiche.case_status:
        need("case_status", "Indiquez si le cas a été discuté ou seulement enregistré.")
    has_proposal = (
        fiche.treatments.exists() or fiche.surveillance_only or fiche.recourse_referral
        or fiche.further_tests.exists()
    )
    if not has_proposal:
        need("treatments", "La proposition est vide : traitement(s), surveillance, examens complémentaires ou RCP de recours.")
    if fiche.recourse_referral and not fiche.recourse_referral_detail.strip():
        need("recourse_referral_detail", "Indiquez la RCP de recours proposée.")
    if fiche.trial_proposed is None:
        need("trial_proposed", "Indiquez si une inclusion dans un essai clinique est proposée.")
    elif fiche.trial_proposed and not fiche.trial_detail.strip():
        need("trial_detail", "Indiquez l'essai clinique proposé.")
    can_reregister = False
    if fiche.case_status == vs.CASE_DISCUSSED and not quorum.reached:
        need("case_status", f"Quorum non atteint ({len(quorum.specialties)} spécialité(s) présente(s), 3 requises) : "
                            "un cas discuté ne peut être validé. Réinscrivez le dossier à la séance suivante "
                            "avec le spécialiste manquant, ou enregistrez-le comme cas standard selon un référentiel.")
        can_reregister = True
    if fiche.case_status == vs.CASE_REGISTERED and not fiche.guideline_name.strip():
        need("guideline_name", "Un cas seulement enregistré (non discuté) exige le référentiel utilisé.")
    return errors, can_reregister


@transaction.atomic
def validate(*, actor, fiche: Fiche, expected_version: int) -> Fiche:
    """Sign the fiche: checks the data set and the rules, freezes attendance and quorum, records the signer."""
    fiche = Fiche.objects.select_for_update().select_related("registration__meeting__board", "patient").get(pk=fiche.pk)
    _check_edit(actor, fiche)
    if not fiche.is_editable:
        raise ValidationError({"status": "Cette fiche est déjà validée."})
    if fiche.lock_version != expected_version:
        raise ConcurrentEditError(current_version=fiche.lock_version)
    meeting = fiche.registration.meeting
    if not has_permission(actor, SIGN_FICHE, fiche):
        raise PermissionDenied(signature_rules.refusal(meeting.board))
    refused = signature_rules.timing_error(meeting) or signature_rules.second_signer_error(actor, fiche)
    if refused:
        raise FicheValidationError({"status": [refused]})
    attendances = list(meeting.attendances.select_related("practitioner"))
    quorum = quorum_rules.compute(attendances)
    errors, can_reregister = validation_errors(fiche, quorum)
    errors.update(organ_forms.required_errors(fiche))
    if errors:
        raise FicheValidationError(errors, can_reregister=can_reregister)
    if signature_rules.needs_second_signature(fiche):
        return _first_signature(actor, fiche)
    previous_validated = list(
        Fiche.objects.select_for_update().filter(set_id=fiche.set_id, status=Fiche.Status.VALIDATED)
    )
    fiche.participants = [
        {
            "name": a.display_name,
            "rpps": a.practitioner.rpps if a.practitioner_id else "",
            "specialty": quorum_rules.attendance_specialty(a),
            "is_doctor": a.is_doctor,
            "member": a.practitioner_id is not None,
        }
        for a in attendances
    ]
    fiche.quorum_status = quorum.status_code
    fiche.status = Fiche.Status.VALIDATED
    fiche.validated_at = timezone.now()
    fiche.validated_by = actor
    fiche.signer_name = str(actor)
    fiche.lock_version += 1
    fiche.save(update_fields=["participants", "quorum_status", "status", "validated_at", "validated_by",
                              "signer_name", "lock_version", "updated_at"])
    for old in previous_validated:
        old.status = Fiche.Status.SUPERSEDED
        old.save(update_fields=["status"])
    organ_forms.mark_completed(fiche)
    _registration_follows(fiche.registration, Registration.Status.DISCUSSED)
    documents.register_fiche(fiche, actor=actor)
    audit.record(actor=actor, action=Action.FICHE_VALIDATE, patient=fiche.patient, obj=fiche,
                 details={"version": fiche.version_number, "set_id": str(fiche.set_id), "quorum": quorum.status_code})
    signals.fiche_validated.send(sender=Fiche, fiche=fiche)
    return fiche


def _first_signature(actor, fiche: Fiche) -> Fiche:
    """Double signature: the first signer's signature is recorded; the fiche stays a draft until a second
    authorised doctor validates it (a later save withdraws this first signature)."""
    fiche.first_signed_by = actor
    fiche.first_signed_at = timezone.now()
    fiche.first_signer_name = str(actor)
    fiche.lock_version += 1
    fiche.save(update_fields=["first_signed_by", "first_signed_at", "first_signer_name", "lock_version",
                              "updated_at"])
    audit.record(actor=actor, action=Action.FICHE_FIRST_SIGN, patient=fiche.patient, obj=fiche,
                 details={"version": fiche.version_number})
    return fiche


@transaction.atomic
def correct(*, actor, fiche: Fiche, reason: str) -> Fiche:
    """A correction of a validated fiche: a new draft version (same set_id); the validated one stays readable
    and is superseded when the new version is validated."""
    fiche = Fiche.objects.select_for_update().select_related("registration", "patient").get(pk=fiche.pk)
    _check_edit(actor, fiche)
    if fiche.status != Fiche.Status.VALIDATED:
        raise ValidationError({"status": "Seule la dernière version validée d'une fiche se corrige."})
    reason = " ".join((reason or "").split())
    if len(reason) < 5 or has_control_chars(reason):
        raise ValidationError({"correction_reason": "Indiquez le motif de la correction."})
    if Fiche.objects.filter(set_id=fiche.set_id, status=Fiche.Status.DRAFT).exists():
        raise ValidationError({"status": "Une correction de cette fiche est déjà en cours."})
    latest = Fiche.objects.filter(set_id=fiche.set_id).order_by("-version_number").first()
    new = Fiche(
        registration=fiche.registration, patient=fiche.patient, set_id=fiche.set_id,
        version_number=latest.version_number + 1, created_by=actor, correction_reason=reason,
        **{name: getattr(fiche, name) for name in Fiche.EDITABLE_FIELDS},
    )
    new.save()
    content = snapshot(fiche)
    _write_children(new, FicheInput(fields={}, tumours=content["tumours"], treatments=content["treatments"],
                                    further_tests=content["further_tests"]))
    organ_forms.copy_to(fiche, new)
    audit.record(actor=actor, action=Action.FICHE_CORRECT, patient=fiche.patient, obj=new, reason=reason,
                 details={"from_version": fiche.version_number, "version": new.version_number})
    return new


def parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
