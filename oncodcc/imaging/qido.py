"""A QIDO-RS client (DICOM PS3.18 "Search Transaction"): the studies of one patient in one source, found by the
hospital's IPP as PatientID and its issuer as IssuerOfPatientID. Every failure (down, slow, refused, garbled)
becomes a `SourceUnavailable` with a French message for the panel: a PACS never breaks a page of the record."""

import datetime
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
INCLUDED_FIELDS = (STUDY_DESCRIPTION, MODALITIES_IN_STUDY, NUMBER_OF_SERIES, ACCESSION_NUMBER)
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
    options: dict = {"headers": {"Accept": "application/dicom+json"}}
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
        if not uid:
            continue
        modalities = (item.get(MODALITIES_IN_STUDY) or {}).get("Value") or []
        studies.append(Study(
            source_id=source.pk, source_name=source.name, uid=str(uid), date=_date(_first(item, STUDY_DATE)),
            modalities=", ".join(str(m) for m in modalities), description=str(_first(item, STUDY_DESCRIPTION) or ""),
            series_count=_series_count(_first(item, NUMBER_OF_SERIES)),
            accession_number=str(_first(item, ACCESSION_NUMBER) or ""),
        ))
    return studies


def search_studies(source: ImageSource, *, patient_id: str, issuer: str) -> list[Study]:
    params = [("PatientID", patient_id), ("limit", str(MAX_STUDIES))]
    if issuer:
        params.append(("IssuerOfPatientID", issuer))
    params += [("includefield", tag) for tag in INCLUDED_FIELDS]
    url = source.dicomweb_url.rstrip("/") + "/studies"
    name = source.name
    try:
        response = requests.get(url, params=params, timeout=source.timeout, **_connection_options(source))
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
        raise SourceUnavailable(
            f"La source d'images « {name} » a refusé l'accès : vérifiez son authentification dans l'administration.")
    if response.status_code == 204:
        return []
    if not response.ok:
        raise SourceUnavailable(f"La source d'images « {name} » a répondu par une erreur (HTTP {response.status_code}).")
    try:
        payload = response.json()
    except ValueError as exc:
        raise SourceUnavailable(f"La source d'images « {name} » a renvoyé une réponse illisible.") from exc
    return parse_studies(source, payload)
