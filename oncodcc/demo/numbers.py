"""Synthetic national numbers with valid check keys: INS matricules (NIR), RPPS, FINESS.

They are valid in form only and belong to nobody: the INS goes with the test OID, the organisations with a
demo OID arc (see catalogue.py)."""

from datetime import date

from stdnum import luhn


def nir_key(first13: str) -> str:
    """The NIR check key: 97 − (number mod 97), with Corsica's 2A → 19 and 2B → 18 substituted."""
    number = int(first13.upper().replace("2A", "19").replace("2B", "18"))
    return f"{97 - number % 97:02d}"


def make_nir(*, sex: str, birth_date: date, birthplace_insee: str, order: int) -> str:
    """A 15-character INS matricule: sex (1/2), year, month, INSEE place of birth (5), order (3), key (2)."""
    sex_digit = "1" if sex == "M" else "2"
    first13 = f"{sex_digit}{birth_date.year % 100:02d}{birth_date.month:02d}{birthplace_insee}{order % 1000:03d}"
    if len(first13) != 13:
        raise ValueError(f"bad NIR body {first13!r}")
    return first13 + nir_key(first13)


def make_rpps(n: int) -> str:
    """An 11-digit RPPS number (10 digits + Luhn key) in a range kept for the demo (10099…)."""
    body = f"10099{n:05d}"
    return body + luhn.calc_check_digit(body)


def make_finess(department: str, n: int) -> str:
    """A 9-character FINESS number: department (2), 6 digits, Luhn key."""
    body = f"{department}{n:06d}"
    return body + luhn.calc_check_digit(body)
