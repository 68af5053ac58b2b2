"""The authorization contract: one entry point, `has_permission(actor, permission, obj)`, for every decision
"may this actor do this to that" (ADR 0006).

Each subject has one policy module that registers its permissions here (`patients.policy` for patients and their
records, `rcp.policy` for boards, meetings and fiches, `core.admin` for the administration, `interop.smart.access`
for machine clients). Apps that own a *relation* between a user and a patient (the care team, a registration on
one of my boards, a break-the-glass access) register it with `patient_relation`: the patient policy combines them
without importing the apps above it. The authorization matrix test is generated from these registries.

`AccessDenied` is a `PermissionDenied`: Django answers 403 (and the patient pages offer break-the-glass) without
each view converting it by hand.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from oncodcc.accounts.models import Role

# Roles that work on cases: they create patients, register cases, write fiches, and may break the glass.
CASE_WORKER_ROLES = frozenset({Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY})
# Roles that administer (organisations, boards, accounts, configuration): never clinical content as such.
ADMINISTRATOR_ROLES = frozenset({Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN})


class AccessDenied(PermissionDenied):
    """The actor may not do this. `patient_id` is set when the refusal is about a patient's data (the 403 page
    then offers break-the-glass to those who may use it)."""

    def __init__(self, message: str = "", *, patient_id: int | None = None):
        super().__init__(message)
        self.patient_id = patient_id


@dataclass(frozen=True)
class Permission:
    name: str  # "<subject>.<action>", e.g. "patient.view_record"
    label: str  # French, shown in the matrix and the docs
    check: Callable[..., bool]  # (actor, obj) -> bool


_PERMISSIONS: dict[str, Permission] = {}


def register(name: str, label: str):
    """Decorator: the function `(actor, obj=None) -> bool` answers `name`."""

    def decorator(check: Callable[..., bool]) -> Callable[..., bool]:
        if name in _PERMISSIONS and _PERMISSIONS[name].check is not check:
            raise ValueError(f"Permission {name} registered twice")
        _PERMISSIONS[name] = Permission(name, label, check)
        return check

    return decorator


def permissions() -> dict[str, Permission]:
    return dict(_PERMISSIONS)


def is_signed_in(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def has_permission(actor, permission: str, obj=None) -> bool:
    """The one question. Unknown permissions are a programming error, not a silent refusal."""
    try:
        rule = _PERMISSIONS[permission]
    except KeyError:
        raise LookupError(f"Unknown permission {permission!r}") from None
    return bool(rule.check(actor, obj))


def require(actor, permission: str, obj=None, *, message: str = "", patient_id: int | None = None) -> None:
    if not has_permission(actor, permission, obj):
        raise AccessDenied(message, patient_id=patient_id)


# --- relations between a user and a patient -------------------------------------------------------------------


@dataclass(frozen=True)
class PatientRelation:
    """A reason why a user may open a patient's record. `scope(user)` returns a filter on Patient (or None when
    the user cannot hold this relation). `clinical` relations hold through a practitioner (care team, GP, member
    of a board): they open the record to any role, administrators included — an administrator who is also a
    practitioner of the patient. The others (creator, secretary of a board, break-the-glass) are
    case-work relations: only the roles that work on cases hold them. `reading` relations (the GP) open the
    record for reading its validated documents only: no drafts, no writes (`working_scope` leaves them out)."""

    name: str
    label: str
    scope: Callable[..., Q | None]
    clinical: bool = False
    reading: bool = False


_RELATIONS: dict[str, PatientRelation] = {}


def patient_relation(name: str, label: str, *, clinical: bool = False, reading: bool = False):
    """Decorator for a function `(user) -> Q | None` on Patient, registered by the app that owns the relation."""

    def decorator(scope: Callable[..., Q | None]) -> Callable[..., Q | None]:
        _RELATIONS[name] = PatientRelation(name, label, scope, clinical, reading)
        return scope

    return decorator


def patient_relations() -> dict[str, PatientRelation]:
    return dict(_RELATIONS)


def relation_scope(user, *, working: bool = False) -> Q:
    """A filter on Patient: the patients the user holds at least one relation with (`working`: a relation that
    lets them work on the case — drafts, writes —, the reading relations left out)."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    case_worker = user.role in CASE_WORKER_ROLES
    q = Q(pk__in=[])
    for relation in _RELATIONS.values():
        if not (relation.clinical or case_worker) or (working and relation.reading):
            continue
        part = relation.scope(user)
        if part is not None:
            q |= part
    return q
