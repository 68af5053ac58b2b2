"""`dcc trials import FILE`: the regional registry from a CSV file (one trial a row) or a FHIR Bundle of
ResearchStudy. A re-import updates each trial found by one of its ids (EU CT, NCT, national) and never duplicates;
a trial imported as closed stops matching. The whole file is one transaction: one bad row and nothing is written;
every error names the row (or entry) and the column (or element)."""

import csv
import io
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.directory.models import Organisation

from .models import Trial, TrialSite
from .research_study import IDENTIFIERS, record_fields

# The CSV columns (docs/trials.md). Multi-valued cells: values separated by `|`; a site is
# `FINESS;investigateur;contact`.
COLUMNS = ("eu_ct_number", "nct_id", "national_id", "title", "acronym", "phase", "sponsor", "status", "organs",
           "topographies", "morphologies", "stages", "lines", "biomarkers", "min_age", "max_age",
           "max_performance_status", "other_criteria", "sites")
LIST_COLUMNS = ("organs", "topographies", "morphologies", "stages", "lines", "biomarkers")
INT_COLUMNS = ("min_age", "max_age", "max_performance_status")
REQUIRED_COLUMNS = ("title", "status")
STATUS_WORDS = {"open": Trial.Status.OPEN, "ouvert": Trial.Status.OPEN, "suspended": Trial.Status.SUSPENDED,
                "suspendu": Trial.Status.SUSPENDED, "closed": Trial.Status.CLOSED, "clos": Trial.Status.CLOSED}


class ImportFailed(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class TrialRecord:
    where: str  # "ligne 3" or "entrée 2", for the messages
    fields: dict
    sites: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    trials: list[Trial] = field(default_factory=list)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in (cell or "").split("|") if part.strip()]


def parse_csv(text: str) -> list[TrialRecord]:
    text = text.removeprefix("\ufeff")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        raise ImportFailed([
            *(f"en-tête : colonne obligatoire « {name} » absente." for name in missing),
            *(f"en-tête : colonne « {name} » inconnue (colonnes : {', '.join(COLUMNS)})." for name in unknown),
        ])
    records, errors = [], []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        where = f"ligne {number}"
        fields: dict = {}
        for name in COLUMNS[:-1]:
            if name not in row:
                continue
            value = row[name]
            if name in LIST_COLUMNS:
                fields[name] = _split(value)
            elif name in INT_COLUMNS:
                if value and not value.isdigit():
                    errors.append(f"{where}, colonne {name} : « {value} » n'est pas un nombre entier.")
                fields[name] = int(value) if value.isdigit() else None
            elif name == "status":
                if value.lower() not in STATUS_WORDS:
                    errors.append(f"{where}, colonne status : « {value} » ; attendu open, suspended ou closed.")
                fields[name] = STATUS_WORDS.get(value.lower(), Trial.Status.CLOSED)
            else:
                fields[name] = value
        sites = []
        for cell in _split(row.get("sites", "")):
            parts = [part.strip() for part in cell.split(";")]
            if len(parts) > 3 or not parts[0]:
                errors.append(f"{where}, colonne sites : « {cell} » ; attendu FINESS;investigateur;contact.")
                continue
            sites.append(tuple([*parts, "", ""][:3]))
        records.append(TrialRecord(where, fields, sites))
    if errors:
        raise ImportFailed(errors)
    return records


def parse_bundle(data: dict) -> list[TrialRecord]:
    if data.get("resourceType") != "Bundle":
        raise ImportFailed([f"resourceType : « {data.get('resourceType')} » au lieu de Bundle."])
    records, errors = [], []
    for number, entry in enumerate(data.get("entry") or [], start=1):
        where = f"entrée {number}"
        try:
            fields, sites = record_fields(entry.get("resource") or {})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            errors.append(f"{where} : {exc}")
            continue
        records.append(TrialRecord(where, fields, sites))
    if errors:
        raise ImportFailed(errors)
    return records


def parse_file(name: str, content: bytes) -> list[TrialRecord]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed([f"{name} : fichier non encodé en UTF-8."]) from None
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            return parse_bundle(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ImportFailed([f"{name} : JSON illisible (ligne {exc.lineno}, colonne {exc.colno})."]) from None
    return parse_csv(text)


def _existing(record: TrialRecord) -> Trial | None:
    """The trial one of the record's ids names; two different trials named by its ids is an error."""
    q = Q(pk__in=[])
    for name, _system in IDENTIFIERS:
        if record.fields.get(name):
            q |= Q(**{name: record.fields[name]})
    found = list(Trial.objects.filter(q))
    if len(found) > 1:
        raise ImportFailed([f"{record.where} : ses identifiants désignent {len(found)} essais différents du "
                            f"registre ({', '.join(t.identifier for t in found)})."])
    return found[0] if found else None


def _messages(where: str, exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{where}, colonne {name} : {' '.join(m)}" for name, m in exc.message_dict.items()]
    return [f"{where} : {message}" for message in exc.messages]


@transaction.atomic
def apply(records: list[TrialRecord], *, actor=None, source: str = "") -> ImportResult:
    result, errors = ImportResult(), []
    finess = {o.finess: o for o in Organisation.objects.exclude(finess="")}
    seen: dict[str, str] = {}
    for record in records:
        for name, _system in IDENTIFIERS:
            value = record.fields.get(name)
            if value and value in seen:
                errors.append(f"{record.where}, colonne {name} : « {value} » déjà présent ({seen[value]}).")
            elif value:
                seen[value] = record.where
        trial = _existing(record) or Trial()
        created = trial.pk is None
        for name, value in record.fields.items():
            setattr(trial, name, value)
        try:
            trial.full_clean()
        except ValidationError as exc:
            errors.extend(_messages(record.where, exc))
            continue
        unknown = [code for code, _i, _c in record.sites if code not in finess]
        if unknown:
            errors.append(f"{record.where}, colonne sites : FINESS inconnu(s) de l'annuaire : {', '.join(unknown)}.")
            continue
        trial.save()
        trial.sites.exclude(organisation__finess__in=[code for code, _i, _c in record.sites]).delete()
        for code, investigator, contact in record.sites:
            TrialSite.objects.update_or_create(trial=trial, organisation=finess[code],
                                               defaults={"investigator": investigator, "contact": contact})
        result.trials.append(trial)
        result.created += created
        result.updated += not created
    if errors:
        transaction.set_rollback(True)
        raise ImportFailed(errors)
    audit.record(actor=actor, action=Action.TRIAL_IMPORT,
                 details={"source": source, "created": result.created, "updated": result.updated})
    return result
