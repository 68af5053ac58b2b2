"""A DICOMweb client (DICOM PS3.18): QIDO-RS searches the studies of one patient in one source, by the hospital's
IPP as PatientID and its issuer as IssuerOfPatientID, and the instances of a study (to choose its key image);
WADO-RS renders that image (`rendered`). Every failure (down, slow, refused, garbled)
becomes a `SourceUnavailable` with a French message for the panel: a PACS never breaks a page of the record."""

import datetime
import re
from dataclasses import dataclass

import requests

from .models import ImageSource

# DICOM tags, as QIDO-RS JSON keys (PS3.18 F.2).
STUDY_UID = "0020000D"
STUDY_DATE = "00080020"
STUDY_DESCRIPTION = "00081030"
MODALITIES_IN_STUDY = "00080061"
ACCESSION_NUMBER = "00080050"
NUMBER_OF_SERIES = "00201206"
SERIES_UID = "0020000E"
SOP_INSTANCE_UID = "00080018"
INSTANCE_NUMBER = "00200013"
INCLUDED_FIELDS = (STUDY_DESCRIPTION, MODALITIES_IN_STUDY, NUMBER_OF_SERIES, ACCESSION_NUMBER)
# A DICOM UID (PS3.5 9.1): a study with another kind of "UID" is skipped (it could not be opened nor pinned).
UID = re.compile(r"[0-9][0-9.]{0,63}")
# A patient with more studies than this in one PACS shows the most recent ones the source returned.
MAX_STUDIES = 200


class SourceUnavailable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Study:
    source_id: int
    source_name: str
    uid: str
    date: datetime.date | None
    modalities: str
    description: str
    series_count: int | None
    accession_number: str

    @property
    def series_label(self) -> str:
        # French agreement: 0 and 1 take the singular.
        n = self.series_count
        return "" if n is None else f"{n} série" if n <= 1 else f"{n} séries"


def _connection_options(source: ImageSource) -> dict:
    options: dict = {"headers": {}}
    if source.auth == ImageSource.Auth.BASIC:
        options["auth"] = (source.username, source.secret)
    elif source.auth == ImageSource.Auth.BEARER:
        options["headers"]["Authorization"] = f"Bearer {source.secret}"
    elif source.auth == ImageSource.Auth.CERT:
        options["cert"] = (source.client_certificate, source.client_key) if source.client_key \
            else source.client_certificate
    return options


def _first(item: dict, tag: str):
    values = (item.get(tag) or {}).get("Value") or []
    return values[0] if values else None


def _date(value) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(str(value)[:8], "%Y%m%d").date() if value else None
    except ValueError:
        return None


def _series_count(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_studies(source: ImageSource, payload) -> list[Study]:
    if not isinstance(payload, list):
        raise SourceUnavailable(f"La source d'images « {source.name} » a renvoyé une réponse illisible.")
    studies = []
    for item in payload[:MAX_STUDIES]:
        uid = _first(item, STUDY_UID) if isinstance(item, dict) else None
        if not uid or not UID.fullmatch(str(uid)):
            continue
        modalities = (item.get(MODALITIES_IN_STUDY) or {}).get("Value") or []
        studies.append(Study(
            source_id=source.pk, source_name=source.name, uid=str(uid), date=_date(_first(item, STUDY_DATE)),
            modalities=", ".join(str(m) for m in modalities), description=str(_first(item, STUDY_DESCRIPTION) or ""),
            series_count=_series_count(_first(item, NUMBER_OF_SERIES)),
            accession_number=str(_first(item, ACCESSION_NUMBER) or ""),
        ))
    return studies


def get(source: ImageSource, path: str, *, params=(), accept: str = "application/dicom+json",
        stream: bool = False) -> requests.Response:
    """One GET to the source (path under its DICOMweb root), every failure turned into a French message."""
    url = source.dicomweb_url.rstrip("/") + path
    options = _connection_options(source)
    options["headers"]["Accept"] = accept
    name = source.name
    try:
        response = requests.get(url, params=list(params), timeout=source.timeout, stream=stream, **options)
    except requests.Timeout as exc:
        raise SourceUnavailable(
            f"La source d'images « {name} » ne répond pas assez vite (plus de {source.timeout:g} s) : "
            "réessayez plus tard.") from exc
    except requests.exceptions.SSLError as exc:
        raise SourceUnavailable(
            f"La connexion sécurisée à la source d'images « {name} » a échoué (certificat).") from exc
    except (requests.ConnectionError, OSError) as exc:
        raise SourceUnavailable(f"La source d'images « {name} » est injoignable pour le moment.") from exc
    except requests.RequestException as exc:
        raise SourceUnavailable(f"La source d'images « {name} » n'a pas pu être interrogée.") from exc
    if response.status_code in (401, 403):
        response.close()
        raise SourceUnavailable(
            f"La source d'images « {name} » a refusé l'accès : vérifiez son authentification dans l'administration.")
    if not response.ok:
        response.close()
        raise SourceUnavailable(f"La source d'images « {name} » a répondu par une erreur (HTTP {response.status_code}).")
    return response


def _json(source: ImageSource, response: requests.Response):
    if response.status_code == 204:  # QIDO-RS: no match
        return []
    try:
        return response.json()
    except ValueError as exc:
        raise SourceUnavailable(f"La source d'images « {source.name} » a renvoyé une réponse illisible.") from exc


def search_studies(source: ImageSource, *, patient_id: str, issuer: str) -> list[Study]:
    params = [("PatientID", patient_id), ("limit", str(MAX_STUDIES))]
    if issuer:
        params.append(("IssuerOfPatientID", issuer))
    params += [("includefield", tag) for tag in INCLUDED_FIELDS]
    return parse_studies(source, _json(source, get(source, "/studies", params=params)))


def key_instance(source: ImageSource, study_uid: str) -> tuple[str, str] | None:
    """A representative image of the study: the middle instance (by InstanceNumber) of its largest series —
    in a CT series, a slice in the middle of the volume rather than its first, often empty, one."""
    payload = _json(source, get(source, f"/studies/{study_uid}/instances",
                                params=[("limit", "2000"), ("includefield", INSTANCE_NUMBER)]))
    series: dict[str, list[tuple[int, str]]] = {}
    for item in payload if isinstance(payload, list) else []:
        series_uid, instance_uid = _first(item, SERIES_UID), _first(item, SOP_INSTANCE_UID)
        if series_uid and instance_uid and UID.fullmatch(str(series_uid)) and UID.fullmatch(str(instance_uid)):
            number = _series_count(_first(item, INSTANCE_NUMBER)) or 0
            series.setdefault(str(series_uid), []).append((number, str(instance_uid)))
    if not series:
        return None
    series_uid, instances = max(series.items(), key=lambda pair: (len(pair[1]), pair[0]))
    instances.sort()
    return series_uid, instances[len(instances) // 2][1]


# A key image is a thumbnail: a larger answer is not one (and is not held in memory).
MAX_RENDERED_BYTES = 5 * 1024 * 1024


def rendered(source: ImageSource, study_uid: str, series_uid: str, instance_uid: str) -> tuple[bytes, str]:
    """WADO-RS "rendered" (PS3.18 9.5): the instance as a JPEG (a PNG is accepted if the server prefers it)."""
    response = get(source, f"/studies/{study_uid}/series/{series_uid}/instances/{instance_uid}/rendered",
                   accept="image/jpeg", stream=True)  # one type: some servers (Orthanc) refuse a list
    with response:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type not in ("image/jpeg", "image/png"):
            raise SourceUnavailable(f"La source d'images « {source.name} » n'a pas rendu l'image clé.")
        body = b""
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > MAX_RENDERED_BYTES:
                raise SourceUnavailable(f"L'image clé de la source « {source.name} » est trop volumineuse.")
    return body, content_type
