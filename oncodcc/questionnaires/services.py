"""Publishing organ forms and storing a fiche's organ answers."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import engine
from .definition import DefinitionError, FormDefinition, load_file, parse
from .models import FicheAnswers, Questionnaire, canonical_json

FORMS_DIR = Path(__file__).parent / "forms"


@dataclass(frozen=True)
class LoadResult:
    source: str
    canonical: str
    outcome: str  # "published" | "unchanged"


class ImmutableVersion(DefinitionError):
    pass


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@transaction.atomic
def publish(definition: FormDefinition, *, source: str) -> LoadResult:
    """Publish one version; an identical re-load changes nothing; a different content under a published version
    is refused (immutability)."""
    existing = Questionnaire.objects.filter(url=definition.url, version=definition.version).first()
    if existing is not None:
        if canonical_json(existing.definition) == canonical_json(definition.resource):
            return LoadResult(source, definition.canonical, "unchanged")
        raise ImmutableVersion(source, "", f"la version {definition.version} de {definition.url} est déjà publiée "
                                           "avec un autre contenu : publiez une nouvelle version.")
    Questionnaire.objects.create(
        url=definition.url, version=definition.version, name=definition.name, title=definition.title,
        status=definition.status, definition=definition.resource, organs=definition.organs,
    )
    return LoadResult(source, definition.canonical, "published")


def load_directory(directory: Path = FORMS_DIR) -> list[LoadResult]:
    """Check then publish every *.json of the directory, each file in its own transaction. Raises the first
    DefinitionError after the files before it were loaded (a bad file loads nothing of itself)."""
    results = []
    for path in sorted(directory.glob("*.json")):
        results.append(publish(load_file(path), source=path.name))
    return results


def import_json(text: str, *, source: str = "import") -> LoadResult:
    """A new version uploaded through the admin."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(source, "", f"JSON illisible ({exc}).") from exc
    return publish(parse(data, source=source), source=source)


def latest(url: str) -> Questionnaire | None:
    versions = list(Questionnaire.objects.filter(url=url, status=Questionnaire.Status.ACTIVE))
    return max(versions, key=lambda q: _version_key(q.version), default=None)


def catalogue() -> list[Questionnaire]:
    """The latest published version of every form, by title."""
    latest_by_url: dict[str, Questionnaire] = {}
    for questionnaire in Questionnaire.objects.filter(status=Questionnaire.Status.ACTIVE):
        current = latest_by_url.get(questionnaire.url)
        if current is None or _version_key(questionnaire.version) > _version_key(current.version):
            latest_by_url[questionnaire.url] = questionnaire
    return sorted(latest_by_url.values(), key=lambda q: q.title)


def default_for(*, organs: list[str], care_types: list[str]) -> Questionnaire | None:
    """The published form whose context lists one of these organ (or care) codes; the most specific wins."""
    wanted = set(organs) | set(care_types)
    if not wanted:
        return None
    candidates = [q for q in Questionnaire.objects.filter(status=Questionnaire.Status.ACTIVE) if wanted & set(q.organs)]
    if not candidates:
        return None
    best_url = min(candidates, key=lambda q: (len(set(q.organs)), q.url)).url
    return latest(best_url)


def form_for(registration) -> Questionnaire | None:
    """The form of a registration: its own choice, else the board's default, else the form of its organs."""
    board = registration.meeting.board
    for url in (registration.form_url, board.default_form_url):
        if url and (questionnaire := latest(url)):
            return questionnaire
    return default_for(organs=board.organs, care_types=board.care_types)


def _response_context(fiche, status: str) -> engine.ResponseContext:
    return engine.ResponseContext(
        subject_reference=f"Patient/{fiche.patient_id}", authored=timezone.now().isoformat(timespec="seconds"),
        status=status, identifier=f"{fiche.set_id}-v{fiche.version_number}",
    )


def store(fiche, questionnaire: Questionnaire, answers: dict[str, Any], *, status: str = "in-progress",
          carried_over_from=None) -> FicheAnswers:
    """Write the answers (already validated) and their promoted statistics columns. Call inside the fiche's
    transaction."""
    form = questionnaire.form
    response = engine.to_response(form, answers, _response_context(fiche, status))
    stats = {f"stat_{k}": v[:100] for k, v in engine.statistics_values(form, answers).items()}
    values = {"questionnaire": questionnaire, "response": response, **{f: stats.get(f, "") for f in FicheAnswers.STAT_FIELDS}}
    if carried_over_from is not None:
        values["carried_over_from"] = carried_over_from
    record, _ = FicheAnswers.objects.update_or_create(fiche=fiche, defaults=values)
    return record


def answers_of(fiche) -> tuple[Questionnaire | None, dict[str, Any]]:
    record = FicheAnswers.objects.select_related("questionnaire").filter(fiche=fiche).first()
    if record is None:
        return None, {}
    return record.questionnaire, engine.from_response(record.questionnaire.form, record.response)


def start_for(fiche) -> FicheAnswers | None:
    """Pin the registration's form to a new fiche and carry over the answers of the patient's last fiche filled
    with the same form (any version: answers that no longer fit are dropped)."""
    from oncodcc.rcp.models import Fiche

    questionnaire = form_for(fiche.registration)
    if questionnaire is None:
        return None
    previous = (
        FicheAnswers.objects.select_related("questionnaire", "fiche")
        .filter(fiche__patient_id=fiche.patient_id, questionnaire__url=questionnaire.url,
                fiche__status__in=[Fiche.Status.VALIDATED, Fiche.Status.SUPERSEDED])
        .exclude(fiche=fiche).order_by("-fiche__validated_at").first()
    )
    answers = engine.from_response(questionnaire.form, previous.response) if previous else {}
    return store(fiche, questionnaire, answers, carried_over_from=previous.fiche if previous else None)


def repin_draft(fiche) -> None:
    """The registration's form changed before the fiche was validated: keep what still fits in the new form."""
    questionnaire = form_for(fiche.registration)
    record = FicheAnswers.objects.select_related("questionnaire").filter(fiche=fiche).first()
    if questionnaire is None or (record and record.questionnaire_id == questionnaire.pk):
        return
    answers = engine.from_response(questionnaire.form, record.response) if record else {}
    store(fiche, questionnaire, answers)


def copy_to(source_fiche, new_fiche) -> None:
    """A correction keeps the version of the form the fiche was filled with."""
    record = FicheAnswers.objects.filter(fiche=source_fiche).first()
    if record is not None:
        FicheAnswers.objects.create(
            fiche=new_fiche, questionnaire=record.questionnaire, response=record.response,
            carried_over_from=record.carried_over_from,
            **{name: getattr(record, name) for name in FicheAnswers.STAT_FIELDS},
        )


def required_errors(fiche) -> dict[str, list[str]]:
    questionnaire, answers = answers_of(fiche)
    if questionnaire is None:
        return {}
    form = questionnaire.form
    enabled = engine.enabled_link_ids(form, answers)
    return {
        f"q__{item.link_id}": [f"« {item.text} » : réponse obligatoire."]
        for item in form.walk()
        if item.answers and item.required and item.link_id in enabled and item.link_id not in answers
    }


def mark_completed(fiche) -> None:
    questionnaire, answers = answers_of(fiche)
    if questionnaire is not None:
        store(fiche, questionnaire, answers, status="completed")
