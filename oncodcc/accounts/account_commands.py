"""What `dcc accounts create` and `dcc accounts requests` do, apart from parsing (kept testable without a
terminal). Creation is one transaction with its audit event and its activation email: an SMTP failure creates
nothing."""

from django.core.exceptions import ValidationError
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.rcp.models import Board, BoardMember

from . import passwords
from . import rpps as rpps_numbers
from .models import AccountRequest, Role, User

# Integrators create working accounts and 3C/DSRC administrators; a system administrator is made with
# `createsuperuser`, on purpose by hand.
CREATABLE_ROLES = (Role.DOCTOR, Role.SECRETARY, Role.COORDINATOR, Role.ADMIN_3C, Role.ADMIN_DSRC, Role.DPO)


class Invalid(Exception):
    """A French message for the command line."""


def _organisation(value: str | None) -> Organisation | None:
    if not value:
        return None
    found = Organisation.objects.filter(finess=value).first()
    if found is None and value.isdigit():
        found = Organisation.objects.filter(pk=int(value)).first()
    if found is None:
        raise Invalid(f"Structure inconnue : {value} (identifiant ou FINESS).")
    return found


def create(*, username: str, email: str, role: str, organisation: str | None = None, rpps: str | None = None,
           first_name: str = "", last_name: str = "", boards=()) -> User:
    if role not in CREATABLE_ROLES:
        raise Invalid(f"Rôle non autorisé ici : {role}.")
    if User.objects.filter(username=username).exists():
        raise Invalid(f"L'identifiant {username} est déjà pris.")
    try:
        User._meta.get_field("email").run_validators(email)
        User.username_validator(username)
    except ValidationError as error:
        raise Invalid(" ".join(error.messages)) from None
    attachment = _organisation(organisation)
    practitioner = None
    if rpps:
        number = rpps_numbers.normalise(rpps)
        practitioner = Practitioner.objects.filter(rpps=number).first()
        if practitioner is None:
            raise Invalid(f"RPPS {number} absent de l'annuaire régional : ajoutez d'abord le professionnel.")
        if User.objects.filter(practitioner=practitioner).exists():
            raise Invalid(f"Le professionnel RPPS {number} a déjà un compte.")
    elif role in (Role.DOCTOR, Role.COORDINATOR):
        raise Invalid("Un compte de médecin a besoin de --rpps (le professionnel de l'annuaire).")
    board_rows = list(Board.objects.filter(pk__in=boards))
    missing = sorted(set(boards) - {b.pk for b in board_rows})
    if missing:
        raise Invalid(f"RCP inconnue(s) : {', '.join(map(str, missing))}.")
    with transaction.atomic():
        user = User(username=username, email=email, role=role, organisation=attachment, practitioner=practitioner,
                    first_name=first_name or (practitioner.first_name if practitioner else ""),
                    last_name=last_name or (practitioner.last_name if practitioner else ""),
                    is_staff=role in (Role.ADMIN_3C, Role.ADMIN_DSRC))
        user.set_unusable_password()
        user.save()
        for board in board_rows:
            if practitioner is not None:
                BoardMember.objects.get_or_create(board=board, practitioner=practitioner)
            else:
                board.secretaries.add(user)
        audit.record(actor=None, action=Action.ACCOUNT_CREATE, obj=user, details={
            "via": "dcc accounts create", "role": role, "organisation": attachment.pk if attachment else None,
            "boards": sorted(b.pk for b in board_rows), "username": username})
        passwords.send_activation(user=user)
    return user


def pending_requests() -> list[tuple[str, ...]]:
    rows = []
    for item in AccountRequest.objects.filter(state=AccountRequest.State.PENDING).prefetch_related(
            "organisations").order_by("created_at"):
        organisations = ", ".join(o.finess or f"#{o.pk}" for o in item.organisations.all())
        rows.append((str(item.pk), item.created_at.strftime("%Y-%m-%d %H:%M"), item.rpps or "—", item.role,
                     organisations))
    return rows
