"""The certain tier confirmed in one key: the flagged records whose best candidate is *certain* (every strict INS
trait and the birthplace equal, no twin/homonym risk, no different INS — `matching._tier`), listed with their
evidence for a DSRC administrator who confirms them all with one button.

Automatic filing without anybody is limited to what the identity vigilance rules allow on their own: the same INS
(`inbound.find_patient` files a record on the patient holding its INS). A match on traits, even certain, is only
*proposed*: two persons with every trait equal exist (perfect homonyms born in the same town), so a person
confirms. Each confirmed pair is merged (the flagged record into its older candidate), audited on both records with
its evidence, and can be undone with the existing unmerge (`vigilance.undo_merge`). The twin/homonym tier is never
in this list."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action

from . import candidates, matching, vigilance
from .incidents import POTENTIAL_DUPLICATE
from .merge import MergeRefused
from .models import Patient

# One screen, one button: enough to empty a day's certain pairs of a region, small enough to read.
BATCH_SIZE = 100
BATCH_REASON = "Rang certain confirmé par lot : traits stricts et lieu de naissance identiques, sans risque de " \
               "jumeaux ou d'homonymes."


@dataclass(frozen=True)
class CertainPair:
    flagged: Patient
    candidate: Patient
    comparison: matching.Comparison

    @property
    def key(self) -> str:
        """What the confirmation form posts: the pair the administrator saw, nothing else is merged."""
        return f"{self.flagged.pk}:{self.candidate.pk}"

    @property
    def evidence(self) -> list[str]:
        return [f"{e.label} : {e.level.label} ({e.weight:+.1f})" for e in self.comparison.evidence]


def _certain_candidate(patient: Patient, dismissed: set[int] | None = None) -> candidates.Match | None:
    for match in vigilance._candidates(patient, dismissed=dismissed):
        if match.tier is matching.Tier.CERTAIN:
            return match
    return None


def _flagged_certain():
    rank = matching.TIER_RANK[matching.Tier.CERTAIN]
    return vigilance.flagged().filter(vigilance_rank=rank).order_by(F("vigilance_score").desc(nulls_last=True), "pk")


def pending_count() -> int:
    return _flagged_certain().count()


def certain_pairs(*, user) -> list[CertainPair]:
    """The flagged records (at most BATCH_SIZE) whose best candidate is certain, each with that candidate and the
    per-trait evidence. One PATIENT_LIST event names every record shown."""
    vigilance._require(user)
    flagged = list(_flagged_certain()[:BATCH_SIZE])
    dismissed = candidates.dismissed_with([p.pk for p in flagged])
    pairs = []
    seen: set[int] = set()
    for patient in flagged:
        if patient.pk in seen:  # already the candidate of a pair above: one merge settles both
            continue
        match = _certain_candidate(patient, dismissed[patient.pk])
        if match is None or match.patient.pk in seen:
            continue
        seen |= {patient.pk, match.patient.pk}
        pairs.append(CertainPair(patient, match.patient, match.comparison))
    if pairs:
        audit.record(actor=user, action=Action.PATIENT_LIST,
                     details={"patients": sorted(seen), "page": "identity_vigilance_certain"})
    return pairs


@dataclass
class BatchResult:
    merged: list[int]  # PatientMerge pks
    skipped: int  # pairs no longer certain (traits changed, already merged or decided meanwhile)


def _parse(keys: list[str]) -> list[tuple[int, int]]:
    pairs = []
    for key in keys:
        left, _, right = (key or "").partition(":")
        if not (left.isdigit() and right.isdigit()):
            raise ValidationError("Paire de dossiers invalide dans la confirmation.")
        pairs.append((int(left), int(right)))
    if not pairs:
        raise ValidationError("Aucune paire à confirmer.")
    if len(pairs) > BATCH_SIZE:
        raise ValidationError(f"Au plus {BATCH_SIZE} paires par confirmation.")
    return pairs


def _settle_survivor(actor, survivor: Patient, merge_pk: int) -> None:
    """The candidate kept may itself have been flagged (by the same pair seen from its side): its flag goes when
    no candidate remains."""
    survivor.refresh_from_db()
    if not survivor.is_potential_duplicate:
        return
    if candidates.refresh(survivor):
        return
    survivor.identity_flags = [code for code in survivor.identity_flags or [] if code != POTENTIAL_DUPLICATE]
    survivor.save(update_fields=["identity_flags"])
    Patient.objects.filter(pk=survivor.pk).update(vigilance_rank=None, vigilance_score=None)
    audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=survivor, obj=survivor,
                 details={"identity_vigilance": "merged", "flag_removed": POTENTIAL_DUPLICATE, "merge": merge_pk})


@transaction.atomic
def confirm(*, actor, keys: list[str]) -> BatchResult:
    """Merge every pair posted ("flagged:candidate"), each checked again: the pair must still be certain now (a
    trait changed, a decision taken or a merge done since the page was shown skips it, never merges on stale
    evidence). The flagged record goes into its candidate (the record already known). Each pair is audited on
    both records with its evidence (`identity_vigilance: certain_confirmed`) besides the merge's own events."""
    vigilance._require(actor)
    result = BatchResult([], 0)
    for flagged_pk, candidate_pk in _parse(keys):
        patient = Patient.objects.filter(pk=flagged_pk, merged_into__isnull=True).first()
        match = _certain_candidate(patient) if patient is not None and patient.is_potential_duplicate else None
        if match is None or match.patient.pk != candidate_pk:
            result.skipped += 1
            continue
        try:
            with transaction.atomic():  # a refused pair leaves nothing behind and does not stop the batch
                record = vigilance.merge_flagged(actor=actor, patient_id=flagged_pk, candidate_id=candidate_pk,
                                                 keep=vigilance.KEEP_CANDIDATE, reason=BATCH_REASON)
        except (MergeRefused, ValidationError):
            result.skipped += 1
            continue
        evidence = [e.as_dict() for e in match.comparison.evidence]
        for pk, other in ((flagged_pk, candidate_pk), (candidate_pk, flagged_pk)):
            audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient_id=pk, obj=record,
                         details={"identity_vigilance": "certain_confirmed", "merge": record.pk, "with": other,
                                  "score": match.score, "evidence": evidence})
        _settle_survivor(actor, record.survivor, record.pk)
        result.merged.append(record.pk)
    return result
