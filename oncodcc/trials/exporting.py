"""The registry written back in the two import formats (CSV with the import's columns, FHIR Bundle of
ResearchStudy): what `dcc trials export` writes, and what a re-import reads unchanged."""

import csv
import io

from .importing import COLUMNS, INT_COLUMNS, LIST_COLUMNS
from .models import Trial
from .research_study import research_study


def _cell(trial: Trial, name: str) -> str:
    if name == "sites":
        return " | ".join(";".join((s.organisation.finess, s.investigator, s.contact)).rstrip(";")
                          for s in trial.sites.all())
    value = getattr(trial, name)
    if name in LIST_COLUMNS:
        return " | ".join(value)
    if name in INT_COLUMNS:
        return "" if value is None else str(value)
    return value


def to_csv(trials) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for trial in trials:
        writer.writerow([_cell(trial, name) for name in COLUMNS])
    return out.getvalue()


def to_bundle(trials) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": research_study(trial)} for trial in trials]}
