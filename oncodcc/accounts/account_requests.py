"""Account requests: submitted on the public page, decided (accepted or refused) by a 3C administrator of one of
the organisations named or by the DSRC. Every write is one transaction with its audit event; the requester's email
leaves inside the decision's transaction, so that a decision never stands without its message (an SMTP failure
rolls the decision back and the decider is told).

Acceptance links or creates the practitioner (by RPPS), creates the account active with no usable password (it
cannot sign in until its owner sets one through the activation link) and makes the requester a permanent member of
the chosen boards (a secretary: a secretary of them). This module creates rcp rows (BoardMember, Board.secretaries):
the one place where accounts reaches up into rcp, since accepting a request is what gives a newcomer their boards.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.actors import SystemActor
from oncodcc.core.text import fold
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.rcp.models import Board, BoardMember

from . import links, mail
from .models import AccountRequest, Charter, Role, User

PUBLIC_FORM = SystemActor(label="formulaire public de demande de compte", role="public")


class DecisionRefused(Exception):
    """The acceptance cannot go through as asked; the message is French, for the decider."""


# --- who sees which requests ---------------------------------------------------------------------------------


def is_top(user) -> bool:
    return bool(user.is_superuser or user.role == Role.SYSADMIN)


def scope(actor) -> Q | None:
    """The requests `actor` may see and decide, as a filter (None: all of them). A DSRC administrator sees the
    region's; a 3C administrator those that name their 3C, a hospital of its boards, or one of its boards."""
    if is_top(actor) or actor.role == Role.ADMIN_DSRC:
        return None
    if actor.role == Role.ADMIN_3C and actor.organisation_id:
        ccc = actor.organisation_id
        hospitals = Organisation.objects.filter(boards__managing_3c_id=ccc).values("pk")
        return (Q(organisations__pk=ccc) | Q(organisations__parent_id=ccc) | Q(organisations__in=hospitals)
                | Q(boards__managing_3c_id=ccc))
    return Q(pk__in=[])


def visible(actor):
    """The requests of `actor`'s worklist (each once), newest first."""
    q = scope(actor)
    requests = AccountRequest.objects.all() if q is None else AccountRequest.objects.filter(q)
    ids = requests.values("pk")
    return (AccountRequest.objects.filter(pk__in=ids)
            .prefetch_related("organisations", "boards").select_related("charter", "decided_by", "user"))


def in_scope(actor, request: AccountRequest) -> bool:
    q = scope(actor)
    return q is None or AccountRequest.objects.filter(q, pk=request.pk).exists()


# --- submission ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    rpps: str
    last_name: str
    first_name: str
    specialty: str
    email: str
    phone: str
    role: str
    organisations: list
    boards: list
    charter: Charter
    psc_attested: bool = False


def submit(submission: Submission) -> AccountRequest | None:
    """Record a request. A second identical pending request (same RPPS or, without one, same email) is not
    recorded again: None. Whether the RPPS or the email already has an account changes nothing here (the page
    answers the same); the worklist shows it to the decider."""
    with transaction.atomic():
        pending = AccountRequest.objects.filter(state=AccountRequest.State.PENDING)
        duplicate = (pending.filter(rpps=submission.rpps) if submission.rpps
                     else pending.filter(rpps="", email__iexact=submission.email))
        if duplicate.exists():
            return None
        request = AccountRequest.objects.create(
            rpps=submission.rpps, last_name=submission.last_name, first_name=submission.first_name,
            specialty=submission.specialty, email=submission.email, phone=submission.phone, role=submission.role,
            charter=submission.charter, psc_attested=submission.psc_attested)
        request.organisations.set(submission.organisations)
        request.boards.set(submission.boards)
        audit.record(actor=PUBLIC_FORM, action=Action.ACCOUNT_REQUEST, obj=request, details={
            "role": request.role, "organisations": sorted(o.pk for o in submission.organisations),
            "boards": sorted(b.pk for b in submission.boards), "charter_version": submission.charter.version,
            "rpps_given": bool(request.rpps), "psc_attested": request.psc_attested})
    return request


def existing_account(request: AccountRequest) -> User | None:
    """An account that already belongs to this professional (same RPPS, or same email): shown to the decider."""
    if request.rpps:
        user = User.objects.filter(practitioner__rpps=request.rpps).first()
        if user is not None:
            return user
    return User.objects.filter(email__iexact=request.email).first()


# --- decision ----------------------------------------------------------------------------------------------------


def _username(first_name: str, last_name: str) -> str:
    base = ".".join(part.replace(" ", "-") for part in (fold(first_name), fold(last_name)) if part)[:140] or "compte"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _practitioner(request: AccountRequest) -> Practitioner:
    """The directory's practitioner with this RPPS, or a new one from the request."""
    practitioner = Practitioner.objects.filter(rpps=request.rpps).first()
    if practitioner is None:
        if not request.specialty:
            raise DecisionRefused("La spécialité est nécessaire pour inscrire ce médecin dans l'annuaire.")
        practitioner = Practitioner.objects.create(
            rpps=request.rpps, last_name=request.last_name, first_name=request.first_name,
            specialty=request.specialty, email="", phone=request.phone)
    elif hasattr(practitioner, "user"):
        raise DecisionRefused("Ce professionnel (RPPS) a déjà un compte : refusez la demande en l'indiquant.")
    return practitioner


def accept(*, actor, request: AccountRequest, role: str, organisation: Organisation, boards, site_request=None
           ) -> User:
    """Create the account (and the practitioner, the board memberships), tell the requester with the activation
    link. Raises DecisionRefused (nothing written) when the request was decided meanwhile, when a clinician has no
    RPPS, or when the professional already has an account."""
    boards = list(boards)
    with transaction.atomic():
        request = AccountRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_pending:
            raise DecisionRefused("Cette demande a déjà été traitée.")
        if User.objects.filter(email__iexact=request.email).exists():
            raise DecisionRefused("Un compte utilise déjà cette adresse électronique : refusez la demande en "
                                  "l'indiquant.")
        clinician = role in (Role.DOCTOR, Role.COORDINATOR)
        if clinician and not request.rpps:
            raise DecisionRefused("Un médecin a besoin d'un numéro RPPS : choisissez le rôle de secrétaire ou "
                                  "refusez la demande.")
        practitioner = _practitioner(request) if clinician else None
        if practitioner is not None:
            practitioner.organisations.add(*request.organisations.exclude(kind=Organisation.Kind.CCC))
        user = User(username=_username(request.first_name, request.last_name), email=request.email,
                    first_name=request.first_name, last_name=request.last_name, role=role,
                    organisation=organisation, practitioner=practitioner, is_active=True,
                    charter_version=request.charter.version)
        user.set_unusable_password()  # no sign-in before the activation link
        user.save()
        for board in boards:
            if practitioner is not None:
                BoardMember.objects.get_or_create(board=board, practitioner=practitioner)
            else:
                board.secretaries.add(user)
        request.state, request.decided_by, request.decided_at = AccountRequest.State.ACCEPTED, actor, timezone.now()
        request.user = user
        request.save(update_fields=["state", "decided_by", "decided_at", "user"])
        audit.record(actor=actor, action=Action.ACCOUNT_REQUEST_ACCEPT, obj=request, details={
            "account": user.pk, "role": role, "organisation": organisation.pk, "boards": sorted(b.pk for b in boards),
            "practitioner": practitioner.pk if practitioner else None})
        audit.record(actor=actor, action=Action.ACCOUNT_CREATE, obj=user, details={
            "via": "account_request", "request": request.pk, "role": role, "organisation": organisation.pk,
            "boards": sorted(b.pk for b in boards), "username": user.username})
        mail.send("request_accepted", to=user.email, context={
            "user": user, "link": links.absolute(links.ACTIVATION, user, site_request),
            "hours": links.lifetime_hours(links.ACTIVATION), "boards": boards, "role": user.get_role_display()})
    return user


def refuse(*, actor, request: AccountRequest, reason: str) -> AccountRequest:
    reason = reason.strip()
    if not reason:
        raise DecisionRefused("Indiquez le motif du refus : il est envoyé au demandeur.")
    with transaction.atomic():
        request = AccountRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_pending:
            raise DecisionRefused("Cette demande a déjà été traitée.")
        request.state, request.decided_by, request.decided_at = AccountRequest.State.REFUSED, actor, timezone.now()
        request.refusal_reason = reason
        request.save(update_fields=["state", "decided_by", "decided_at", "refusal_reason"])
        audit.record(actor=actor, action=Action.ACCOUNT_REQUEST_REFUSE, obj=request, reason=reason)
        mail.send("request_refused", to=request.email, context={"request": request, "reason": reason})
    return request


def boards_for(organisation: Organisation):
    """The boards an account attached to this 3C may be given on acceptance."""
    return Board.objects.filter(active=True, managing_3c=organisation)
