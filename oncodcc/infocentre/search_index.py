"""The search documents of the fiches RCP: the text a keyword search reads, written when a fiche is validated (a
first version or a correction), in the validation's transaction, and rebuilt by `dcc stats refresh` (and by the
demo loader, whose fiches are bulk-inserted).

One document per fiche set: the latest validated version replaces the previous one. On PostgreSQL the GIN index
on the document table does the rest; on SQLite the FTS5 table is written beside it (same rowid as the fiche)."""

import re

from django.db import connection, transaction

from oncodcc.questionnaires import engine
from oncodcc.questionnaires.models import FicheAnswers
from oncodcc.rcp.models import Fiche
from oncodcc.terminology import valuesets

from .models import FicheSearchDocument

FTS_TABLE = "infocentre_fiche_fts"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def uses_fts5() -> bool:
    return connection.vendor == "sqlite"


def organ_answers_text(record: FicheAnswers | None) -> list[str]:
    """The organ form's answers as "question : answer" lines (the displayed text, so "HER2 positif" is found)."""
    if record is None:
        return []
    form = record.questionnaire.form
    answers = engine.from_response(form, record.response)
    lines = []
    for section in engine.display_sections(form, answers):
        lines += [f"{label} : {value}" for label, value in section.rows]
    return lines


def document_text(fiche: Fiche, record: FicheAnswers | None = None) -> str:
    """Question, case summary, tumours, proposal (treatments, comment, trial), comments and organ answers."""
    parts = [fiche.question, fiche.case_summary]
    for tumour in fiche.tumours.all():
        parts += [tumour.topography_label, tumour.morphology_label, tumour.comment]
    for treatment in fiche.treatments.all():
        parts += [treatment.label, treatment.detail]
    parts += [fiche.proposal_comment, fiche.recourse_referral_detail, fiche.trial_detail, fiche.comments]
    parts += [valuesets.display(valuesets.ORGAN, code) for code in fiche.organs or []]
    parts += organ_answers_text(record)
    # Control characters would break the excerpts' markers; the clinical fields already refuse them.
    return "\n".join(_CONTROL.sub(" ", p) for p in parts if p and p.strip())


def _write(fiche_id: int, set_id, body: str) -> None:
    FicheSearchDocument.objects.update_or_create(fiche_id=fiche_id, defaults={"set_id": set_id, "body": body})
    if uses_fts5():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [fiche_id])  # noqa: S608 (constant)
            cursor.execute(f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (%s, %s)", [fiche_id, body])  # noqa: S608


def _delete(fiche_ids: list[int]) -> None:
    if not fiche_ids:
        return
    FicheSearchDocument.objects.filter(fiche_id__in=fiche_ids).delete()
    if uses_fts5():
        marks = ", ".join(["%s"] * len(fiche_ids))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", fiche_ids)  # noqa: S608


def _record_of(fiche: Fiche) -> FicheAnswers | None:
    return FicheAnswers.objects.select_related("questionnaire").filter(fiche=fiche).first()


@transaction.atomic
def index_fiche(*, fiche: Fiche) -> None:
    """The fiche was just validated: its text becomes its set's search document (the superseded version's
    document goes)."""
    stale = list(FicheSearchDocument.objects.filter(set_id=fiche.set_id).exclude(fiche_id=fiche.pk)
                 .values_list("fiche_id", flat=True))
    _delete(stale)
    _write(fiche.pk, fiche.set_id, document_text(fiche, _record_of(fiche)))


@transaction.atomic
def rebuild(batch: int = 500) -> int:
    """Rewrite every search document from the validated fiches; returns how many were written."""
    FicheSearchDocument.objects.all().delete()
    if uses_fts5():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608 (constant)
    fiches = (Fiche.objects.filter(status=Fiche.Status.VALIDATED).order_by("pk")
              .prefetch_related("tumours", "treatments"))
    records = {}
    written = 0
    ids = list(fiches.values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        records = {r.fiche_id: r for r in FicheAnswers.objects.select_related("questionnaire")
                   .filter(fiche_id__in=chunk)}
        documents = [FicheSearchDocument(fiche_id=f.pk, set_id=f.set_id, body=document_text(f, records.get(f.pk)))
                     for f in fiches.filter(pk__in=chunk)]
        FicheSearchDocument.objects.bulk_create(documents)
        if uses_fts5():
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (%s, %s)",  # noqa: S608
                                   [(d.fiche_id, d.body) for d in documents])
        written += len(documents)
    return written
