"""The search over fiches RCP: keywords (search_backend) combined with structured filters, restricted by the
policy, shown identified (the roles that work on cases: their patients) or pseudonymised (the epidemiologist:
the region), and audited — one `fiche.search` event per patient shown, one `fiche.search_export` per patient
exported, written in one insert (audit.record_many).

Only the latest validated version of each fiche is searched (a correction supersedes the version before)."""

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import AccessDenied, has_permission
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import patient_scope
from oncodcc.questionnaires.definition import FormDefinition
from oncodcc.questionnaires.models import FicheAnswers, Questionnaire
from oncodcc.rcp.models import PARIS, Fiche, ProposedTreatment, Tumour
from oncodcc.terminology import valuesets

from . import policy, search_backend
from .pseudonyms import pseudonym
from .search_form import Marker, SearchForm

PAGE_SIZE = 50
# Counting every hit of a broad search costs as much as the search (the benchmark: 6,800 hits on one board);
# beyond this, the page says "more than" and asks for narrower criteria. The export has its own limit.
COUNT_LIMIT = 1000
EXPORT_LIMIT = 5000
MASK = "[…]"


@dataclass
class Row:
    fiche_id: int
    patient_id: int
    meeting_date: str
    board: str
    patient: str  # the name, or the pseudonym
    ins: str  # empty when pseudonymised
    birth: str  # the birth date, or the birth year
    sex: str
    organs: str
    topography: str
    morphology: str
    stage: str
    markers: str
    treatments: str
    trial: str
    version: int
    excerpt_html: str = ""
    excerpt_text: str = ""
    url: str = ""  # the fiche's page (identified rows only: it checks access and audits on its own)


@dataclass
class Result:
    rows: list[Row]
    total: int
    more: bool  # more than `total` (the count stopped at COUNT_LIMIT or EXPORT_LIMIT)
    page: int
    pages: int
    pseudonymised: bool
    notes: list[str] = field(default_factory=list)


def pseudonymises(actor) -> bool:
    return has_permission(actor, policy.SEARCH_REGION)


def visible_fiches(actor) -> QuerySet[Fiche]:
    """The fiches the actor may search: the region (epidemiologist) or those of their patients."""
    if not has_permission(actor, policy.SEARCH):
        raise AccessDenied("La recherche dans les fiches est réservée aux médecins, coordonnateurs et secrétaires "
                           "(leurs patients) et à l'épidémiologiste de la DSRC (données pseudonymisées).")
    fiches = Fiche.objects.filter(status=Fiche.Status.VALIDATED)
    if pseudonymises(actor):
        return fiches
    return fiches.filter(patient__in=Patient.objects.filter(patient_scope(actor)).values("pk"))


def _paris_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def filtered(fiches: QuerySet[Fiche], form: SearchForm) -> QuerySet[Fiche]:
    data = form.cleaned_data
    if search_backend.has_words(data.get("q", "")):
        fiches = fiches.filter(pk__in=search_backend.matching_fiches(data["q"]))
    if data.get("board"):
        fiches = fiches.filter(registration__meeting__board=data["board"])
    if data.get("hospital"):
        fiches = fiches.filter(registration__meeting__board__in=data["hospital"].boards.values("pk"))
    if data.get("organ"):
        # The JSON list's text: `"code"` with its quotes, so that a code never matches inside a longer one.
        fiches = fiches.filter(organs__icontains=f'"{data["organ"]}"')
    tumours = Q()
    if data.get("topography"):
        tumours &= Q(topography__startswith=data["topography"])
    if data.get("morphology"):
        tumours &= Q(morphology=data["morphology"])
    if tumours:
        fiches = fiches.filter(pk__in=Tumour.objects.filter(tumours).values("fiche_id"))
    if data.get("stage"):
        fiches = fiches.filter(pk__in=FicheAnswers.objects.filter(stat_stage__iexact=data["stage"])
                               .values("fiche_id"))
    if data.get("marker"):
        marker = Marker.parse(data["marker"])
        if f"stat_{marker.column}" not in FicheAnswers.STAT_FIELDS:
            return fiches.none()
        fiches = fiches.filter(pk__in=FicheAnswers.objects.filter(
            questionnaire__url=marker.form_url, **{f"stat_{marker.column}": marker.code}).values("fiche_id"))
    if data.get("treatment"):
        fiches = fiches.filter(pk__in=ProposedTreatment.objects.filter(code=data["treatment"]).values("fiche_id"))
    if data.get("trial") == "oui":
        fiches = fiches.filter(trial_proposed=True)
    elif data.get("trial") == "non":
        fiches = fiches.exclude(trial_proposed=True)
    if data.get("start"):
        fiches = fiches.filter(registration__meeting__starts_at__gte=_paris_midnight(data["start"]))
    if data.get("end"):
        fiches = fiches.filter(registration__meeting__starts_at__lt=_paris_midnight(data["end"] + timedelta(days=1)))
    return fiches


def _ordered(fiches: QuerySet[Fiche]) -> QuerySet[Fiche]:
    # The big JSON columns (the organ answers' QuestionnaireResponse, the frozen attendance) are left behind, and
    # each form's definition is read once per page (`_forms`), not once per row: decoding them was most of the time.
    return (fiches.order_by("-registration__meeting__starts_at", "-pk")
            .select_related("registration__meeting__board", "patient", "organ_answers")
            .defer("participants", "organ_answers__response")
            .prefetch_related("tumours", "treatments"))


def _forms(fiches: list[Fiche]) -> dict[int, FormDefinition]:
    ids = {f.organ_answers.questionnaire_id for f in fiches if getattr(f, "organ_answers", None) is not None}
    return {q.pk: q.form for q in Questionnaire.objects.filter(pk__in=ids)}


def _mask_names(text: str, patient) -> str:
    """The patient's own names out of a pseudonymised excerpt (free text may quote them)."""
    names = {patient.birth_name, patient.used_name, patient.used_given_name, *patient.birth_given_names.split()}
    for name in sorted((n for n in names if n and len(n) > 1), key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", MASK, text, flags=re.IGNORECASE)
    return text


def _markers(fiche: Fiche, forms: dict[int, FormDefinition]) -> str:
    record = getattr(fiche, "organ_answers", None)
    if record is None:
        return ""
    items = forms[record.questionnaire_id].statistics_items
    parts = []
    for column, item in items.items():
        if column == "stage":
            continue
        value = getattr(record, f"stat_{column}", "")
        if value:
            display = next((o.display for o in item.options if o.code == value), value)
            parts.append(f"{item.text} : {display}")
    return " ; ".join(parts)


@functools.cache
def sex_label(code: str) -> str:
    """The sex's label (get_sex_display() goes through the translation machinery on every call: slow on 50 rows)."""
    return str(dict(Patient._meta.get_field("sex").choices).get(code, code))


def _row(fiche: Fiche, *, pseudonymised: bool, marked: str, forms: dict[int, FormDefinition]) -> Row:
    patient = fiche.patient
    tumours = list(fiche.tumours.all())
    record = getattr(fiche, "organ_answers", None)
    excerpt = _mask_names(marked, patient) if pseudonymised and marked else marked
    return Row(
        fiche_id=fiche.pk, patient_id=patient.pk,
        meeting_date=f"{fiche.registration.meeting.local_start:%d/%m/%Y}",
        board=fiche.registration.meeting.board.name,
        patient=pseudonym(patient.pk) if pseudonymised else patient.display_name,
        ins="" if pseudonymised else patient.ins_matricule,
        birth=str(patient.birth_date.year) if pseudonymised else f"{patient.birth_date:%d/%m/%Y}",
        sex=sex_label(patient.sex),
        organs=", ".join(valuesets.display(valuesets.ORGAN, c) for c in fiche.organs or []),
        topography=", ".join(f"{t.topography} {t.topography_label}" for t in tumours),
        morphology=", ".join(f"{t.morphology} {t.morphology_label}" for t in tumours),
        stage=(record.stat_stage if record else "") or ", ".join(t.tnm for t in tumours if t.tnm),
        markers=_markers(fiche, forms),
        treatments=", ".join(t.label for t in fiche.treatments.all()),
        trial={True: "oui", False: "non"}.get(fiche.trial_proposed, "non renseigné"),
        version=fiche.version_number,
        excerpt_html=search_backend.to_html(excerpt) if excerpt else "",
        excerpt_text=search_backend.to_plain(excerpt) if excerpt else "",
        url="" if pseudonymised else reverse("rcp:fiche_detail", args=[fiche.pk]),
    )


def _rows(actor, fiches: list[Fiche], text: str) -> list[Row]:
    pseudonymised = pseudonymises(actor)
    marked = search_backend.excerpts(text, [f.pk for f in fiches])
    forms = _forms(fiches)
    return [_row(f, pseudonymised=pseudonymised, marked=marked.get(f.pk, ""), forms=forms) for f in fiches]


def run(*, actor, form: SearchForm, page: int = 1) -> Result:
    """One page of results; every patient shown is audited."""
    fiches = filtered(visible_fiches(actor), form)
    total = fiches.order_by()[:COUNT_LIMIT + 1].count()  # no ORDER BY: the model's ordering would sort every hit
    more = total > COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    chosen = list(_ordered(fiches)[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])
    rows = _rows(actor, chosen, form.cleaned_data.get("q", ""))
    pseudonymised = pseudonymises(actor)
    audit.record_many(actor=actor, action=Action.FICHE_SEARCH, patient_ids=_distinct(r.patient_id for r in rows),
                      details={"criteria": form.summary(), "page": page, "results": total, "more": more,
                               "pseudonymised": pseudonymised})
    return Result(rows, total, more, page, pages, pseudonymised)


def export_rows(*, actor, form: SearchForm) -> Result:
    """Every result (up to EXPORT_LIMIT) for an export; every patient exported is audited."""
    fiches = filtered(visible_fiches(actor), form)
    more = fiches.order_by()[:EXPORT_LIMIT + 1].count() > EXPORT_LIMIT
    rows = _rows(actor, list(_ordered(fiches)[:EXPORT_LIMIT]), form.cleaned_data.get("q", ""))
    pseudonymised = pseudonymises(actor)
    notes = []
    if more:
        notes.append(f"Export limité aux {EXPORT_LIMIT} fiches les plus récentes : d'autres fiches répondent aux "
                     "critères, précisez-les.")
    audit.record_many(actor=actor, action=Action.FICHE_SEARCH_EXPORT,
                      patient_ids=_distinct(r.patient_id for r in rows),
                      details={"criteria": form.summary(), "rows": len(rows), "more": more,
                               "pseudonymised": pseudonymised})
    return Result(rows, len(rows), more, 1, 1, pseudonymised, notes)


def _distinct(ids) -> list[int]:
    return list(dict.fromkeys(ids))
