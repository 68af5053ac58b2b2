"""Identity vigilance indicators for the infocentre: per month and hospital, the records flagged "doublon
potentiel", the merges and their undoing, the twin/homonym pairs met (the tier never merged automatically) and the
INS collisions (an INS known with other traits). Counts only: no identity, no patient link; for DSRC
administrators (the identity reviewers), each consultation or export audited.

Sources are the traces the rest of the app already writes: creation audit events (flags and, from now on, the best
candidate's tier), `identity_vigilance: flagged_by_scan` and `flagged_on_update` events (an update whose new traits
found a candidate), ACCESS_DENIED `identity_mismatch` events (their
`organisation`), and `PatientMerge` rows. A record's hospital is the organisation of its first IPP (before a merge
moved it: the before-image names the identifiers moved)."""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.directory.models import Organisation

from . import matching, vigilance
from .incidents import POTENTIAL_DUPLICATE
from .models import PatientIdentifier, PatientMerge

NO_HOSPITAL = "Sans IPP (saisie OncoDCC)"
COLUMNS = (("flagged", "Signalés doublon potentiel"), ("twin_risk", "Risque jumeaux / homonymes"),
           ("ins_collisions", "Collisions INS"), ("merged", "Fusionnés"), ("unmerged", "Fusions annulées"))


@dataclass
class Row:
    month: str  # "AAAA-MM"
    hospital: str
    counts: dict[str, int]

    def cells(self) -> list[int]:
        return [self.counts.get(key, 0) for key, _ in COLUMNS]


def _hospitals(patient_pks: set[int], moved_identifier_pks: dict[int, list[int]]) -> dict[int, str]:
    """The hospital of each record: the organisation of its first IPP, or of the first identifier a merge moved
    away from it."""
    result: dict[int, str] = {}
    rows = PatientIdentifier.objects.filter(
        Q(patient_id__in=patient_pks) | Q(pk__in=[pk for pks in moved_identifier_pks.values() for pk in pks]),
        organisation__isnull=False).order_by("pk").values_list("pk", "patient_id", "organisation__name")
    by_identifier = {}
    for pk, patient_id, name in rows:
        by_identifier[pk] = name
        result.setdefault(patient_id, name)
    for patient_id, pks in moved_identifier_pks.items():
        for pk in sorted(pks):
            if pk in by_identifier:
                result[patient_id] = by_identifier[pk]
                break
    return result


def compute(year: int) -> list[Row]:
    """Counts per (month, hospital) of `year`, months in order, hospitals by name."""
    counts: dict[tuple[str, int | str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_patient: list[tuple[str, int, str]] = []  # (month, patient pk, indicator)
    events = AuditEvent.objects.filter(occurred_at__year=year).filter(
        Q(action=Action.PATIENT_CREATE, details__icontains=f'"{POTENTIAL_DUPLICATE}"')
        | Q(action=Action.PATIENT_UPDATE, details__identity_vigilance__in=["flagged_by_scan", "flagged_on_update"]))
    for occurred_at, patient_id, details in events.values_list("occurred_at", "patient_id", "details"):
        month = occurred_at.strftime("%Y-%m")
        per_patient.append((month, patient_id, "flagged"))
        if (details or {}).get("tier") == matching.Tier.TWIN_RISK:
            per_patient.append((month, patient_id, "twin_risk"))
    organisations = dict(Organisation.objects.values_list("pk", "name"))
    mismatches = AuditEvent.objects.filter(occurred_at__year=year, action=Action.ACCESS_DENIED,
                                           reason="identity_mismatch")
    for occurred_at, details in mismatches.values_list("occurred_at", "details"):
        hospital = organisations.get((details or {}).get("organisation"), NO_HOSPITAL)
        counts[occurred_at.strftime("%Y-%m"), hospital]["ins_collisions"] += 1
    moved: dict[int, list[int]] = {}
    merges = PatientMerge.objects.filter(Q(merged_at__year=year) | Q(unmerged_at__year=year))
    for merge in merges.only("absorbed_id", "merged_at", "unmerged_at", "before_image"):
        moved[merge.absorbed_id] = (merge.before_image or {}).get("moved", {}).get("identifiers", [])
        if merge.merged_at.year == year:
            per_patient.append((merge.merged_at.strftime("%Y-%m"), merge.absorbed_id, "merged"))
        if merge.unmerged_at and merge.unmerged_at.year == year:
            per_patient.append((merge.unmerged_at.strftime("%Y-%m"), merge.absorbed_id, "unmerged"))
    hospitals = _hospitals({pk for _, pk, _ in per_patient if pk}, moved)
    for month, patient_id, key in per_patient:
        counts[month, hospitals.get(patient_id, NO_HOSPITAL)][key] += 1
    return [Row(month, hospital, dict(values)) for (month, hospital), values in sorted(counts.items())]


def totals(rows: list[Row]) -> list[int]:
    return [sum(row.cells()[i] for row in rows) for i in range(len(COLUMNS))]


def read(*, user, year: int, export: bool = False) -> list[Row]:
    """The indicators of `year` for an identity reviewer; the consultation (or the CSV export) is audited."""
    vigilance._require(user)
    rows = compute(year)
    audit.record(actor=user, action=Action.IDENTITY_INDICATORS,
                 details={"year": year, "export": "csv" if export else "", "rows": len(rows)})
    return rows


def to_csv(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Mois", "Établissement", *(label for _, label in COLUMNS)])
    for row in rows:
        writer.writerow([row.month, row.hospital, *row.cells()])
    writer.writerow(["Total", "", *totals(rows)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM lets spreadsheet software read the accents
