"""The patient's studies across the image sources of the hospitals that know the patient, and the studies pinned
to a registration. Sources are asked in parallel (one slow PACS costs its own timeout, not the sum of all);
answers are cached briefly, failures are not (the next load asks again)."""

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.patients.models import IdentityStatus

from . import dicomweb
from .models import ImageSource, PinnedStudy

MAX_PARALLEL_SOURCES = 4


@dataclass(frozen=True)
class Query:
    source: ImageSource
    patient_id: str  # the hospital's IPP
    issuer: str

    @property
    def cache_key(self) -> str:
        # Hashed: an IPP is an identifier, not something to leave readable in a cache backend.
        raw = f"{self.source.pk}|{self.source.updated_at.isoformat()}|{self.patient_id}|{self.issuer}"
        return "imaging:studies:" + hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class PatientStudies:
    studies: list[dicomweb.Study] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sources: int = 0  # how many sources were asked

    def find(self, source_id: int, study_uid: str) -> dicomweb.Study | None:
        return next((s for s in self.studies if s.source_id == source_id and s.uid == study_uid), None)


def queries_for(patient) -> list[Query]:
    """One query per (active source, IPP) of the hospitals that know the patient; and, for a qualified identity,
    one by INS per source that searches by INS (the INS is national: such a source is asked for every patient)."""
    identifiers = [i for i in patient.identifiers.all() if i.organisation_id]
    active = ImageSource.objects.filter(active=True).order_by("pk")
    by_organisation: dict[int, list[ImageSource]] = {}
    for source in active.filter(organisation_id__in={i.organisation_id for i in identifiers}):
        by_organisation.setdefault(source.organisation_id, []).append(source)
    queries = [Query(source, identifier.value, source.issuer or identifier.system)
               for identifier in identifiers for source in by_organisation.get(identifier.organisation_id, [])]
    if patient.identity_status == IdentityStatus.QUALIFIED and patient.ins_matricule:
        queries += [Query(source, patient.ins_matricule, patient.ins_oid) for source in active.filter(search_by_ins=True)]
    return queries


def _ask(query: Query) -> list[dicomweb.Study] | str:
    try:
        return dicomweb.search_studies(query.source, patient_id=query.patient_id, issuer=query.issuer)
    except dicomweb.SourceUnavailable as exc:
        return exc.message


def patient_studies(patient) -> PatientStudies:
    """Most recent first; a study found twice (two IPPs in one source) listed once."""
    queries = queries_for(patient)
    result = PatientStudies(sources=len({q.source.pk for q in queries}))
    answers: dict[int, list[dicomweb.Study] | str] = {}
    missing = []
    for index, query in enumerate(queries):
        cached = cache.get(query.cache_key)
        if cached is None:
            missing.append(index)
        else:
            answers[index] = cached
    if missing:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SOURCES, len(missing))) as pool:
            for index, answer in zip(missing, pool.map(_ask, [queries[i] for i in missing]), strict=True):
                answers[index] = answer
                if not isinstance(answer, str):
                    cache.set(queries[index].cache_key, answer, settings.DCC_IMAGING_CACHE_SECONDS)
    seen = set()
    for index in range(len(queries)):
        answer = answers[index]
        if isinstance(answer, str):
            if answer not in result.problems:
                result.problems.append(answer)
            continue
        for study in answer:
            if (study.source_id, study.uid) not in seen:
                seen.add((study.source_id, study.uid))
                result.studies.append(study)
    result.studies.sort(key=lambda s: (s.date is not None, s.date), reverse=True)
    return result


def choose_key_image(source: ImageSource, study_uid: str) -> tuple[str, str]:
    """(series UID, instance UID) of the study's key image, or blanks when the source cannot say (pinned anyway)."""
    try:
        return dicomweb.key_instance(source, study_uid) or ("", "")
    except dicomweb.SourceUnavailable:
        return "", ""


def pin(*, by, registration, study: dicomweb.Study) -> PinnedStudy:
    """Idempotent: pinning a study already pinned returns it. The key image is chosen before the transaction
    (a PACS round trip does not hold a database lock)."""
    existing = PinnedStudy.objects.filter(registration=registration, source_id=study.source_id,
                                          study_uid=study.uid).first()
    if existing:
        return existing
    key_series, key_instance = choose_key_image(ImageSource.objects.get(pk=study.source_id), study.uid)
    try:
        with transaction.atomic():
            pinned = PinnedStudy.objects.create(
                registration=registration, source_id=study.source_id, study_uid=study.uid, study_date=study.date,
                modalities=study.modalities[:60], description=study.description[:200], pinned_by=by,
                key_series_uid=key_series, key_instance_uid=key_instance)
            audit.record(actor=by, action=Action.IMAGING_STUDY_PIN, patient=registration.patient, obj=pinned,
                         details={"registration": registration.pk, "source": study.source_id})
    except IntegrityError:
        # A double click: the other request pinned it first.
        return PinnedStudy.objects.get(registration=registration, source_id=study.source_id, study_uid=study.uid)
    return pinned


def unpin(*, by, pinned: PinnedStudy) -> None:
    with transaction.atomic():
        audit.record(actor=by, action=Action.IMAGING_STUDY_UNPIN, patient=pinned.registration.patient, obj=pinned,
                     details={"registration": pinned.registration_id, "source": pinned.source_id})
        pinned.delete()


def register_source(*, organisation, dicomweb_url: str, **fields) -> tuple[ImageSource, bool]:
    """Create or update (same organisation and URL) a source, validated as in the admin; audited."""
    with transaction.atomic():
        source = ImageSource.objects.filter(organisation=organisation, dicomweb_url=dicomweb_url).first()
        created = source is None
        source = source or ImageSource(organisation=organisation, dicomweb_url=dicomweb_url)
        for name, value in fields.items():
            setattr(source, name, value)
        source.full_clean()
        source.save()
        audit.record(actor=None, action=Action.IMAGING_SOURCE_REGISTER, obj=source,
                     details={"organisation": organisation.pk, "created": created, "auth": source.auth})
    return source, created
