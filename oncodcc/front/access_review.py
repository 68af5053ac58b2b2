"""The yearly access review page, `/comptes/revue/` (issue 10): the accounts of one structure — for a 3C, the
accounts attached to it and the doctors who are members of its boards; for a DSRC, the accounts attached to it —
with role, attachment, boards, last sign-in, strong-authentication method, and this year's decision; a CSV export;
"Confirmer" / "Désactiver" for each (oncodcc.accounts.review writes). Here, in `front`, because it reads accounts
and the RCP's boards together."""

import csv
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncodcc.accounts import review
from oncodcc.accounts.models import AccessReviewDecision, User
from oncodcc.accounts.review_policy import REVIEW, reviewable_organisations
from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core.policy import require
from oncodcc.directory.models import Organisation
from oncodcc.rcp.models import BoardMember

DENIED = "Vous ne pouvez pas revoir les comptes de cette structure."
FIRST_YEAR = 2020


@dataclass
class AccountRow:
    user: User
    boards: list[str] = field(default_factory=list)
    strong_auth: list[str] = field(default_factory=list)
    decision: AccessReviewDecision | None = None

    @property
    def last_sign_in(self) -> datetime | None:
        return self.user.last_login


def structure_accounts(organisation: Organisation) -> QuerySet[User]:
    scope = Q(organisation=organisation)
    if organisation.kind == Organisation.Kind.CCC:
        members = BoardMember.objects.filter(board__managing_3c=organisation).values("practitioner_id")
        scope |= Q(practitioner_id__in=members)
    return (User.objects.filter(scope).select_related("organisation", "practitioner")
            .order_by("last_name", "first_name", "username"))


def account_rows(organisation: Organisation, year: int) -> list[AccountRow]:
    users = list(structure_accounts(organisation))
    rows = {u.pk: AccountRow(user=u) for u in users}
    practitioners = {u.practitioner_id: u.pk for u in users if u.practitioner_id}
    for member in (BoardMember.objects.filter(practitioner_id__in=practitioners)
                   .select_related("board").order_by("board__name")):
        label = member.board.name + (" (coordonnateur)" if member.is_coordinator else "")
        rows[practitioners[member.practitioner_id]].boards.append(label)
    for user_id in TOTPDevice.objects.filter(user_id__in=rows, confirmed=True).values_list("user_id", flat=True):
        rows[user_id].strong_auth.append("Application TOTP")
    psc = AuditEvent.objects.filter(action=Action.PSC_LOGIN, actor_id__in=list(rows)).values_list(
        "actor_id", flat=True).distinct()
    for user_id in psc:
        rows[user_id].strong_auth.append("Pro Santé Connect")
    for decision in AccessReviewDecision.objects.filter(
            review__organisation=organisation, review__year=year, user_id__in=rows).select_related("decided_by"):
        rows[decision.user_id].decision = decision
    return list(rows.values())


def _params(request, source) -> tuple[Organisation, int]:
    """The structure and the year asked for (the first structure the user reviews, this year, by default)."""
    this_year = timezone.localdate().year
    try:
        year = int(source.get("annee") or this_year)
    except ValueError:
        raise ValidationError("L'année doit être un nombre (par exemple 2026).") from None
    if not FIRST_YEAR <= year <= this_year:
        raise ValidationError(f"L'année doit être comprise entre {FIRST_YEAR} et {this_year}.")
    raw = source.get("structure")
    if raw:
        if not str(raw).isdigit():
            raise ValidationError("Structure inconnue.")
        organisation = Organisation.objects.filter(pk=int(raw)).first()
        if organisation is None:
            raise Http404
    else:
        organisation = reviewable_organisations(request.user).order_by("kind", "name").first()
        if organisation is None:
            require(request.user, REVIEW, None, message=DENIED)
    require(request.user, REVIEW, organisation, message=DENIED)
    return organisation, year


def _bad_request(exc: ValidationError) -> HttpResponse:
    return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain; charset=utf-8")


@require_GET
def page(request):
    try:
        organisation, year = _params(request, request.GET)
    except ValidationError as exc:
        return _bad_request(exc)
    rows = account_rows(organisation, year)
    return render(request, "front/access_review.html", {
        "organisation": organisation, "year": year, "rows": rows,
        "structures": reviewable_organisations(request.user).order_by("kind", "name"),
        "years": list(range(timezone.localdate().year, FIRST_YEAR - 1, -1)),
        "campaign": review.campaign(year=year, organisation=organisation),
        "pending": sum(1 for r in rows if r.decision is None and r.user.is_active),
    })


def _safe_cell(value) -> str:
    """CSV cells that a spreadsheet would run as a formula are quoted as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


@require_GET
def export(request):
    try:
        organisation, year = _params(request, request.GET)
    except ValidationError as exc:
        return _bad_request(exc)
    rows = account_rows(organisation, year)
    audit.record(actor=request.user, action=Action.ACCOUNT_REVIEW, obj=organisation,
                 details={"year": year, "organisation_id": organisation.pk, "step": "export", "accounts": len(rows)})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"revue-acces-{organisation.pk}-{year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM tells spreadsheets it is UTF-8 (accents)
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["Identifiant", "Nom", "Prénom", "Rôle", "Structure de rattachement", "RPPS", "RCP",
                     "Dernière connexion", "Authentification forte", "Compte actif", f"Décision {year}",
                     "Décidée par", "Décidée le"])
    for row in rows:
        user, decision = row.user, row.decision
        writer.writerow([_safe_cell(v) for v in (
            user.username, user.last_name, user.first_name, user.get_role_display(), user.organisation or "",
            user.practitioner.rpps if user.practitioner_id else "", " | ".join(row.boards),
            _when(user.last_login), " | ".join(row.strong_auth) or "aucune", "oui" if user.is_active else "non",
            decision.get_decision_display() if decision else "à revoir",
            decision.decided_by if decision and decision.decided_by else "", _when(decision.decided_at) if decision
            else "",
        )])
    return response


@require_POST
def decide(request):
    try:
        organisation, year = _params(request, request.POST)
    except ValidationError as exc:
        return _bad_request(exc)
    raw = request.POST.get("compte", "")
    account = structure_accounts(organisation).filter(pk=int(raw)).first() if raw.isdigit() else None
    if account is None:
        raise Http404
    decision = request.POST.get("decision", "")
    try:
        review.decide(actor=request.user, organisation=organisation, year=year, user=account, decision=decision)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if decision == AccessReviewDecision.Decision.DEACTIVATED:
            messages.success(request, f"Compte de {account} désactivé.")
        else:
            messages.success(request, f"Accès de {account} confirmé pour {year}.")
    return redirect(f"{reverse('front:access_review')}?structure={organisation.pk}&annee={year}")
