"""Identity vigilance (identitovigilance): the worklist of records flagged "doublon potentiel" (DPOT) for DSRC
administrators, and its two decisions — "pas un doublon" (the flag goes, a note stays in the audit trail) and a
merge of the flagged record with one of its candidates (patients.merge).

Records get the DPOT flag when a hospital's identity matched an existing record on traits alone (inbound.resolve),
when a hospital sent a known INS with discordant traits (the incoming identity is set aside as a record flagged
DPOT + DOUT, whose creation event names the INS holder: that record is its first candidate — patients.incidents),
or when a user created a patient despite the near matches shown to them (services.create_patient).
Reviewers see identity data only: traits, identifiers, status, how and when the record was created; never the
clinical data (the record itself stays governed by policy.py)."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import F, Prefetch, QuerySet

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars

from . import candidates, matching
from .incidents import MISMATCH_NOTE, POTENTIAL_DUPLICATE
from .merge import MergeRefused, merge, unmerge
from .models import PairDecision, Patient, PatientIdentifier, PatientMerge
from .policy import REVIEW_IDENTITIES, accessible_patients, has_permission

PAGE_SIZE = 20
CANDIDATES_SHOWN = 5
KEEP_FLAGGED, KEEP_CANDIDATE = "flagged", "candidate"
CHANNEL = "identitovigilance"

# How a record came in, from the `channel` of its creation audit event.
CHANNEL_LABELS = {"hl7": "message HL7 (PAM / ORU)", "fhir": "API FHIR", "launch": "appel contextuel",
                  "": "saisie dans OncoDCC"}

# The traits compared side by side: (label, attribute).
TRAITS = (
    ("Nom de naissance", "birth_name"),
    ("Prénom(s) de naissance", "birth_given_names"),
    ("Nom utilisé", "used_name"),
    ("Prénom utilisé", "used_given_name"),
    ("Date de naissance", "birth_date"),
    ("Sexe", "sex"),
    ("Lieu de naissance (INSEE)", "birthplace_insee"),
    ("Matricule INS", "ins_matricule"),
    ("Statut de l'identité", "identity_status"),
)


def can_review(user) -> bool:
    return has_permission(user, REVIEW_IDENTITIES)


def _require(user) -> None:
    if not can_review(user):
        raise PermissionDenied("L'identitovigilance est réservée aux administrateurs de la DSRC.")


def flagged() -> QuerySet[Patient]:
    """Active records flagged DPOT. `icontains` on the JSON text works on SQLite and PostgreSQL alike (JSON
    `contains` does not exist on SQLite); the quotes make it match the whole code only."""
    return Patient.objects.filter(identity_flags__icontains=f'"{POTENTIAL_DUPLICATE}"', merged_into__isnull=True)


def flagged_count() -> int:
    return flagged().count()


def _ins_holder_pk(event: AuditEvent | None) -> int | None:
    """The record whose INS arrived with this set-aside identity (its creation event says so)."""
    holder = (event.details or {}).get("ins_holder") if event is not None else None
    return holder if isinstance(holder, int) else None


def _candidates(patient: Patient, creation: AuditEvent | None = None,
                dismissed: set[int] | None = None) -> list[candidates.Match]:
    """Candidates in the shown tiers (best first; pairs decided "pas un doublon" never come back); for an
    identity set aside because its INS is another record's, that record first (whatever its resemblance: the
    reviewer must see both)."""
    if creation is None:
        creation = _creations([patient.pk]).get(patient.pk)
    found = candidates.find(patient, limit=CANDIDATES_SHOWN, dismissed=dismissed)
    holder_pk = _ins_holder_pk(creation)
    if holder_pk is None or holder_pk == patient.pk:
        return found
    holder = Patient.objects.filter(pk=holder_pk, merged_into__isnull=True).first()
    if holder is None:
        return found
    others = [c for c in found if c.patient.pk != holder_pk]
    return [candidates.Match(holder, matching.compare(patient, holder)), *others][:CANDIDATES_SHOWN]


# --- the worklist -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: str
    differs: bool = False  # differs from the flagged record's value


@dataclass
class Column:
    """One record in the comparison: the flagged one (first) or a candidate."""

    patient: Patient
    identifiers: list[PatientIdentifier]
    comparison: matching.Comparison | None = None  # with the flagged record (None for the flagged record)
    visible: bool = False  # the reviewer may open this record anyway (care team, board…): link it

    @property
    def score(self) -> float | None:
        return self.comparison.score if self.comparison else None

    @property
    def twin_risk(self) -> bool:
        return self.comparison is not None and self.comparison.tier is matching.Tier.TWIN_RISK


@dataclass
class WorklistEntry:
    patient: Patient
    columns: list[Column]  # the flagged record first, then its candidates (best first)
    rows: list[tuple[str, list[Cell]]]  # trait label, one cell per column
    created_channel: str
    created_by: str

    @property
    def candidates(self) -> list[Column]:
        return self.columns[1:]

    @property
    def tier_label(self) -> str:
        """The best candidate's tier ("Certain", "Probable", "Risque jumeaux / homonymes"), or ""."""
        return self.columns[1].comparison.tier_label if len(self.columns) > 1 else ""

    @property
    def evidence_rows(self) -> list[tuple[str, list[str]]]:
        """Per trait, each candidate's agreement level and its weight ("dates de naissance identiques (+14.7)")."""
        rows = []
        for trait, label in matching.TRAIT_LABELS.items():
            cells = []
            for column in self.candidates:
                evidence = next(e for e in column.comparison.evidence if e.trait == trait)
                cells.append(f"{evidence.level.label} ({evidence.weight:+.1f})")
            rows.append((label, cells))
        return rows


@dataclass
class Worklist:
    page: Page
    entries: list[WorklistEntry] = field(default_factory=list)


def _display(patient: Patient, attribute: str) -> str:
    value = getattr(patient, attribute)
    if attribute == "birth_date":
        return value.strftime("%d/%m/%Y")
    if attribute in {"sex", "identity_status"}:
        return getattr(patient, f"get_{attribute}_display")()
    return value or "—"


def _rows(columns: list[Column]) -> list[tuple[str, list[Cell]]]:
    rows = []
    for label, attribute in TRAITS:
        reference = _display(columns[0].patient, attribute)
        cells = [Cell(reference)]
        # Case is not a difference (hospitals send upper-case names); accents and anything else are.
        cells += [Cell(v, v.casefold() != reference.casefold())
                  for v in (_display(c.patient, attribute) for c in columns[1:])]
        rows.append((label, cells))
    return rows


def _with_identifiers(pks) -> dict[int, Patient]:
    identifiers = PatientIdentifier.objects.select_related("organisation").order_by("pk")
    return {p.pk: p for p in Patient.objects.filter(pk__in=pks).prefetch_related(
        Prefetch("identifiers", queryset=identifiers))}


def _creations(pks) -> dict[int, AuditEvent]:
    events = AuditEvent.objects.filter(action=Action.PATIENT_CREATE, patient_id__in=pks).order_by("id")
    return {e.patient_id: e for e in events.only("patient_id", "actor_label", "details")}


def worklist(*, user, page_number=1) -> Worklist:
    """One page of flagged records, by their best candidate's tier then score (then oldest first), each with its
    candidate duplicates and the per-trait evidence. Records one PATIENT_LIST
    event naming every record shown. Queries: a constant number plus one candidate search per flagged record of
    the page (PAGE_SIZE at most)."""
    _require(user)
    order = (F("vigilance_rank").asc(nulls_last=True), F("vigilance_score").desc(nulls_last=True), "created_at", "pk")
    page = Paginator(flagged().order_by(*order), PAGE_SIZE).get_page(page_number)
    flagged_pks = [p.pk for p in page.object_list]
    creations = _creations(flagged_pks)
    dismissed = candidates.dismissed_with(flagged_pks)
    found = {pk: _candidates(p, creations.get(pk), dismissed[pk])
             for pk, p in zip(flagged_pks, page.object_list, strict=True)}
    candidate_pks = {c.patient.pk for candidates in found.values() for c in candidates}
    records = _with_identifiers([*flagged_pks, *candidate_pks])
    visible = set(accessible_patients(user).filter(pk__in=list(records)).values_list("pk", flat=True))
    result = Worklist(page=page)
    for pk in flagged_pks:
        patient = records[pk]
        columns = [Column(patient, list(patient.identifiers.all()), visible=pk in visible)]
        for candidate in found[pk]:
            other = records.get(candidate.patient.pk)
            if other is None or other.merged_into_id:  # an absorbed record is no longer a candidate
                continue
            columns.append(Column(other, list(other.identifiers.all()), candidate.comparison, other.pk in visible))
        event = creations.get(pk)
        channel = (event.details or {}).get("channel", "") if event else ""
        label = CHANNEL_LABELS.get(channel, channel)
        if _ins_holder_pk(event) is not None:
            label = f"{label} — {MISMATCH_NOTE} (dossier n° {_ins_holder_pk(event)})"
        result.entries.append(WorklistEntry(
            patient=patient, columns=columns, rows=_rows(columns),
            created_channel=label,
            created_by=event.actor_label if event else "",
        ))
    shown = sorted({c.patient.pk for entry in result.entries for c in entry.columns})
    if shown:
        audit.record(actor=user, action=Action.PATIENT_LIST,
                     details={"patients": shown, "page": "identity_vigilance", "flagged": flagged_pks})
    return result


# --- decisions ----------------------------------------------------------------------------------------------------


def _clean_text(value: str, *, what: str) -> str:
    value = " ".join((value or "").split())
    if has_control_chars(value):
        raise ValidationError(f"Le {what} contient des caractères de contrôle non autorisés.")
    if len(value) < 5:
        raise ValidationError(f"Indiquez un {what} (au moins 5 caractères).")
    return value[:300]


def _lock_flagged(patient_id: int) -> Patient:
    patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
    if patient is None:
        raise Patient.DoesNotExist
    if patient.merged_into_id or not patient.is_potential_duplicate:
        raise ValidationError("Ce dossier n'est plus signalé comme doublon potentiel : il a déjà été traité.")
    return patient


def _drop_flag(patient: Patient) -> None:
    patient.identity_flags = [code for code in patient.identity_flags or [] if code != POTENTIAL_DUPLICATE]
    patient.save(update_fields=["identity_flags"])


@transaction.atomic
def dismiss(*, actor, patient_id: int, note: str) -> Patient:
    """"Pas un doublon": the DPOT flag is removed; the note and the candidates reviewed stay in the audit event."""
    _require(actor)
    note = _clean_text(note, what="commentaire")
    patient = _lock_flagged(patient_id)
    reviewed = [c.patient.pk for c in _candidates(patient)]
    for other_pk in reviewed:  # remembered: these pairs are never proposed again
        low, high = sorted((patient.pk, other_pk))
        PairDecision.objects.get_or_create(
            patient_low_id=low, patient_high_id=high,
            defaults={"decision": PairDecision.Decision.NOT_DUPLICATE, "note": note, "decided_by": actor})
    _drop_flag(patient)
    Patient.objects.filter(pk=patient.pk).update(vigilance_rank=None, vigilance_score=None)
    audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=patient, obj=patient,
                 details={"identity_vigilance": "not_duplicate", "flag_removed": POTENTIAL_DUPLICATE,
                          "note": note, "candidates": reviewed})
    for other_pk in reviewed:  # the decision concerns the candidates' records too: their trail shows it
        audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient_id=other_pk, obj=patient,
                     details={"identity_vigilance": "not_duplicate_of", "flagged": patient.pk})
    return patient


@transaction.atomic
def merge_flagged(*, actor, patient_id: int, candidate_id: int, keep: str, reason: str,
                  twin_checked: bool = False) -> PatientMerge:
    """Merge the flagged record with one of its candidates, keeping `keep` (KEEP_FLAGGED or KEEP_CANDIDATE).

    Only a candidate the worklist offers may be chosen (a tampered form cannot merge two unrelated records); a
    candidate at risk of being a twin or a homonym only when the reviewer states that an identity document or
    the INSi teleservice was checked (`twin_checked`).
    When the flagged record is kept, its flag goes once no other candidate remains. Raises MergeRefused (French)."""
    _require(actor)
    if keep not in {KEEP_FLAGGED, KEEP_CANDIDATE}:
        raise ValidationError("Choisissez le dossier à conserver.")
    reason = _clean_text(reason, what="motif")
    patient = _lock_flagged(patient_id)
    offered = {c.patient.pk: c for c in _candidates(patient)}
    if candidate_id not in offered:
        raise MergeRefused("Ce dossier n'est pas proposé comme doublon du dossier signalé : fusion refusée.")
    if offered[candidate_id].tier is matching.Tier.TWIN_RISK and not twin_checked:
        raise MergeRefused("Risque de jumeaux ou d'homonymes : cochez la vérification de l'identité (pièce "
                           "d'identité ou téléservice INSi) pour fusionner ces deux dossiers.")
    candidate = Patient.objects.get(pk=candidate_id)
    survivor, absorbed = (patient, candidate) if keep == KEEP_FLAGGED else (candidate, patient)
    record = merge(actor=actor, survivor=survivor, absorbed=absorbed, reason=reason, channel=CHANNEL)
    if keep == KEEP_FLAGGED:
        patient.refresh_from_db()
        remaining = Patient.objects.filter(pk__in=[c.patient.pk for c in _candidates(patient)],
                                           merged_into__isnull=True)
        candidates.refresh(patient)  # its best remaining candidate orders the worklist
        if patient.is_potential_duplicate and not remaining.exists():
            _drop_flag(patient)
            Patient.objects.filter(pk=patient.pk).update(vigilance_rank=None, vigilance_score=None)
            audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=patient, obj=patient,
                         details={"identity_vigilance": "merged", "flag_removed": POTENTIAL_DUPLICATE,
                                  "merge": record.pk})
    return record


# --- merges and their undoing -------------------------------------------------------------------------------------

RECENT_MERGES = 30


def recent_merges(*, user) -> list[PatientMerge]:
    """The latest merges (identity data only), for the reviewer to undo a wrong one. The records named are listed
    in one PATIENT_LIST event."""
    _require(user)
    merges = list(PatientMerge.objects.select_related("survivor", "absorbed").order_by("-merged_at", "-pk")
                  [:RECENT_MERGES])
    shown = sorted({pk for m in merges for pk in (m.survivor_id, m.absorbed_id)})
    if shown:
        audit.record(actor=user, action=Action.PATIENT_LIST, details={"patients": shown, "page": "identity_merges"})
    return merges


@transaction.atomic
def undo_merge(*, actor, merge_id: int, reason: str) -> PatientMerge:
    """Unmerge (patients.merge.unmerge), and remember the pair as "pas un doublon": two records a reviewer has
    separated are never proposed again as the same person."""
    _require(actor)
    reason = _clean_text(reason, what="motif")
    record = PatientMerge.objects.filter(pk=merge_id).first()
    if record is None:
        raise PatientMerge.DoesNotExist
    record = unmerge(actor=actor, record=record, reason=reason, channel=CHANNEL)
    low, high = sorted((record.survivor_id, record.absorbed_id))
    PairDecision.objects.get_or_create(
        patient_low_id=low, patient_high_id=high,
        defaults={"decision": PairDecision.Decision.NOT_DUPLICATE, "note": reason, "decided_by": actor})
    return record
