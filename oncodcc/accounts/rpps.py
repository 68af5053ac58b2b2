"""The RPPS number of a health professional: 11 digits, the last one a Luhn check digit (ISO/IEC 7812, the key of
the national "numéro RPPS"; python-stdnum's `luhn`). Checked on the account request so that a typo is caught
before a 3C administrator searches the directory for it."""

import re

from stdnum import luhn

RPPS = re.compile(r"^[0-9]{11}$")


def normalise(value: str) -> str:
    """What people type: spaces and dots between groups of digits do not matter."""
    return re.sub(r"[\s.]", "", value or "")


def is_valid(value: str) -> bool:
    return bool(RPPS.fullmatch(value or "")) and luhn.is_valid(value)


def with_key(first_ten: str) -> str:
    """The RPPS number whose first ten digits are given (its Luhn key appended): synthetic numbers for the demo and
    the tests."""
    return first_ten + luhn.calc_check_digit(first_ten)
