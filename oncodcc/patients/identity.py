"""Identity rules: INS matricule check, trait matching for duplicate detection (identitovigilance)."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from rapidfuzz import fuzz
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir

from oncodcc.core.text import fold

from .models import INS_OIDS_PRODUCTION, INS_OIDS_TEST, Patient


class InvalidINS(ValueError):
    pass


class InvalidINSKey(InvalidINS):
    """The matricule itself is wrong (length, digits, control key), not its assigning authority."""


def clean_ins(matricule: str, oid: str) -> str:
    """Return the compact matricule, or raise InvalidINS with a French message."""
    compact = nir.compact(matricule or "")
    if not compact:
        raise InvalidINS("Le matricule INS est vide.")
    allowed = INS_OIDS_PRODUCTION | (INS_OIDS_TEST if settings.DEMO_MODE else set())
    if oid not in allowed:
        raise InvalidINS(f"OID d'INS non reconnu : {oid or '(vide)'}.")
    try:
        return nir.validate(compact)
    except StdnumError as exc:
        raise InvalidINSKey(
            "Matricule INS invalide : 15 caractères (13 + clé de contrôle) attendus, clé vérifiée."
        ) from exc


def ins_matches_traits(matricule: str, *, sex: str, birth_date: date) -> bool:
    """The NIR encodes sex (1/2) and year/month of birth: a cheap consistency check against the traits."""
    if len(matricule) < 5 or not matricule[:5].isdigit():
        return True
    sex_digit, yy, mm = matricule[0], matricule[1:3], matricule[3:5]
    if sex in {"M", "F"} and sex_digit in {"1", "2"} and (sex_digit == "1") != (sex == "M"):
        return False
    if yy != f"{birth_date.year % 100:02d}":
        return False
    return not (mm.isdigit() and 1 <= int(mm) <= 12 and int(mm) != birth_date.month)


def proof_text(value: str) -> str:
    """A name as compared for an identity proof: accents, case, hyphens, apostrophes and spaces ignored
    ("D'Aubigné-Lefèvre" = "DAUBIGNE LEFEVRE")."""
    return fold(value).replace(" ", "")


def resemblance(patient: Patient, *, birth_name: str, first_given_name: str, birth_date: date, sex: str = "") -> float:
    """How close a record's traits are to these (0–100): names weigh 60 %, the given name 40 %; another sex or
    a swapped birth date lower the score."""
    target_name, target_given = fold(birth_name), fold(first_given_name)
    name_score = max(
        fuzz.ratio(target_name, fold(patient.birth_name)),
        fuzz.ratio(target_name, fold(patient.used_name)) if patient.used_name else 0,
    )
    given_score = max(
        fuzz.ratio(target_given, fold(patient.first_birth_given_name)),
        fuzz.partial_ratio(target_given, fold(patient.birth_given_names)),
    )
    score = 0.6 * name_score + 0.4 * given_score
    if sex and patient.sex and sex != patient.sex:
        score -= 15
    if patient.birth_date != birth_date:
        score -= 10
    return score


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    score: float


def duplicate_candidates(
    *, birth_name: str, first_given_name: str, birth_date: date, sex: str = "", limit: int = 10,
    exclude_pk: int | None = None,
) -> list[Candidate]:
    """Patients whose strict traits are close: same birth date, similar birth or used name and given name.

    Birth dates with day and month swapped are included too (a classic typing error)."""
    dates = {birth_date}
    if birth_date.day <= 12 and birth_date.day != birth_date.month:
        dates.add(date(birth_date.year, birth_date.day, birth_date.month))
    scored = []
    qs = Patient.objects.filter(birth_date__in=dates)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    for patient in qs.only(
        "id", "birth_name", "used_name", "first_birth_given_name", "birth_given_names", "used_given_name",
        "birth_date", "sex", "identity_status", "ins_matricule",
    )[:500]:
        score = resemblance(patient, birth_name=birth_name, first_given_name=first_given_name,
                            birth_date=birth_date, sex=sex)
        if score >= 75:
            scored.append(Candidate(patient, round(score, 1)))
    scored.sort(key=lambda c: -c.score)
    return scored[:limit]
