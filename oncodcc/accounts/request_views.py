"""The account request: the public page (`/compte/demande/`, with its RPPS look-up) and the worklist of the
administrators who decide (`/comptes/demandes/`). Thin: forms parse, oncodcc.accounts.account_requests writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oncodcc.accounts.admin import assignable_organisations, assignable_roles
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import require
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.rcp.models import Board

from . import account_requests, public_throttle
from . import rpps as rpps_numbers
from .models import AccountRequest, Charter
from .psc.identity import SESSION_IDENTITY
from .request_forms import AcceptForm, AccountRequestForm, RefuseForm

# --- the public page ---------------------------------------------------------------------------------------------


def _prefill(identity: dict | None) -> dict:
    if not identity:
        return {}
    initial = {"rpps": identity.get("rpps", ""), "last_name": identity.get("family_name", ""),
               "first_name": identity.get("given_name", ""), "email": identity.get("email", "")}
    practitioner = Practitioner.objects.filter(rpps=initial["rpps"]).first() if initial["rpps"] else None
    if practitioner is not None:
        initial["specialty"] = practitioner.specialty
    return {key: value for key, value in initial.items() if value}


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def new(request):
    """`/compte/demande/`: the request form with the current charter. The answer is the same whether or not the
    RPPS or the email already has an account."""
    charter = Charter.current()
    if charter is None:
        return render(request, "accounts/request_closed.html", status=503)
    identity = request.session.get(SESSION_IDENTITY)
    psc_rpps = (identity or {}).get("rpps", "") if rpps_numbers.is_valid((identity or {}).get("rpps", "")) else ""
    form = AccountRequestForm(request.POST or None, charter_version=charter.version, psc_rpps=psc_rpps,
                              initial={**_prefill(identity), "charter_version": charter.version})
    if request.method == "POST":
        if public_throttle.over_limit("request", request):
            return public_throttle.refusal(request)
        if form.is_valid():
            data = form.cleaned_data
            account_requests.submit(account_requests.Submission(
                rpps=data["rpps"], last_name=data["last_name"], first_name=data["first_name"],
                specialty=data["specialty"], email=data["email"], phone=data["phone"], role=data["role"],
                organisations=list(data["organisations"]), boards=list(data["boards"]), charter=charter,
                psc_attested=bool(psc_rpps)))
            request.session.pop(SESSION_IDENTITY, None)
            return redirect("account_request:done")
    return render(request, "accounts/request_form.html", {"form": form, "charter": charter,
                                                          "psc": bool(psc_rpps)})


@login_not_required
@require_GET
def done(request):
    return render(request, "accounts/request_done.html")


@login_not_required
@never_cache
@require_GET
def rpps_lookup(request):
    """`/compte/demande/rpps/?numero=…` (JSON, for the form's progressive enhancement): whether the number is valid
    and, when the regional directory knows it, the name and specialty to prefill. Says nothing about accounts."""
    if public_throttle.over_limit("rpps", request, factor=6):
        return JsonResponse({"error": "Trop de recherches : réessayez dans une heure."}, status=429)
    number = rpps_numbers.normalise(request.GET.get("numero", ""))
    if not rpps_numbers.is_valid(number):
        return JsonResponse({"valid": False, "found": False})
    practitioner = Practitioner.objects.filter(rpps=number, active=True).first()
    if practitioner is None:
        return JsonResponse({"valid": True, "found": False})
    return JsonResponse({"valid": True, "found": True, "last_name": practitioner.last_name,
                         "first_name": practitioner.first_name, "specialty": practitioner.specialty})


# --- the worklist --------------------------------------------------------------------------------------------------

STATES = {"en-attente": AccountRequest.State.PENDING, "acceptees": AccountRequest.State.ACCEPTED,
          "refusees": AccountRequest.State.REFUSED}


@never_cache
@require_GET
def worklist(request):
    require(request.user, "account_request.view")
    state_slug = request.GET.get("etat", "en-attente")
    state = STATES.get(state_slug, AccountRequest.State.PENDING)
    requests = account_requests.visible(request.user).filter(state=state).order_by("-created_at")[:200]
    return render(request, "accounts/request_list.html", {
        "requests": requests, "state_slug": state_slug if state_slug in STATES else "en-attente",
        "states": [(slug, value.label) for slug, value in STATES.items()]})


def _request_or_404(request, pk: int, permission: str) -> AccountRequest:
    account_request = get_object_or_404(AccountRequest.objects.select_related("charter", "decided_by", "user"),
                                         pk=pk)
    require(request.user, permission, account_request)
    return account_request


def _attachment_guess(account_request: AccountRequest, organisations):
    """The 3C to propose, among those the decider may give: one named, the 3C of a board named, the 3C a hospital
    named is attached to or whose boards it hosts; else the decider's only choice."""
    named = account_request.organisations.all()
    for candidates in (
        organisations.filter(pk__in=named.values("pk")),
        organisations.filter(managed_boards__in=account_request.boards.all()),
        organisations.filter(pk__in=named.values("parent_id")),
        organisations.filter(managed_boards__hospitals__in=named),
    ):
        found = candidates.order_by("name").first()
        if found is not None:
            return found
    return organisations.first() if organisations.count() == 1 else None


def _accept_form(actor, account_request: AccountRequest, data=None) -> AcceptForm:
    organisations = assignable_organisations(actor)
    if organisations is None:
        organisations = Organisation.objects.filter(kind=Organisation.Kind.CCC, active=True)
    boards = Board.objects.filter(active=True, managing_3c__in=organisations).order_by("name")
    initial = {"role": account_request.role, "boards": [b.pk for b in account_request.boards.all()
                                                        if boards.filter(pk=b.pk).exists()]}
    guess = _attachment_guess(account_request, organisations)
    if guess is not None:
        initial["organisation"] = guess.pk
    return AcceptForm(data, roles=assignable_roles(actor), organisations=organisations.order_by("name"),
                      boards=boards, initial=initial)


def _detail(request, account_request, *, accept_form=None, refuse_form=None, status=200):
    return render(request, "accounts/request_detail.html", {
        "item": account_request, "existing": account_requests.existing_account(account_request),
        "known_practitioner": Practitioner.objects.filter(rpps=account_request.rpps).first()
        if account_request.rpps else None,
        "accept_form": accept_form or _accept_form(request.user, account_request),
        "refuse_form": refuse_form or RefuseForm(),
    }, status=status)


@never_cache
@require_GET
def detail(request, pk: int):
    account_request = _request_or_404(request, pk, "account_request.view")
    audit.record(actor=request.user, action=Action.ACCOUNT_REQUEST_VIEW, obj=account_request)
    return _detail(request, account_request)


@require_POST
def accept(request, pk: int):
    account_request = _request_or_404(request, pk, "account_request.decide")
    form = _accept_form(request.user, account_request, request.POST)
    if form.is_valid():
        try:
            user = account_requests.accept(
                actor=request.user, request=account_request, role=form.cleaned_data["role"],
                organisation=form.cleaned_data["organisation"], boards=form.cleaned_data["boards"],
                site_request=request)
        except account_requests.DecisionRefused as refused:
            form.add_error(None, str(refused))
        except OSError:  # SMTP unreachable or refusing: the transaction was rolled back
            form.add_error(None, "Le courriel au demandeur n'a pas pu partir (serveur de messagerie) : rien n'a été "
                                 "enregistré. Réessayez plus tard.")
        else:
            messages.success(request, f"Demande acceptée : compte « {user.username} » créé ; le lien d'activation "
                                      "a été envoyé au demandeur.")
            return redirect("accounts:request_list")
    return _detail(request, account_request, accept_form=form, status=400)


@require_POST
def refuse(request, pk: int):
    account_request = _request_or_404(request, pk, "account_request.decide")
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            account_requests.refuse(actor=request.user, request=account_request, reason=form.cleaned_data["reason"])
        except account_requests.DecisionRefused as refused:
            form.add_error(None, str(refused))
        except OSError:
            form.add_error(None, "Le courriel au demandeur n'a pas pu partir (serveur de messagerie) : rien n'a été "
                                 "enregistré. Réessayez plus tard.")
        else:
            messages.success(request, "Demande refusée ; le demandeur en a été informé par courriel.")
            return redirect("accounts:request_list")
    return _detail(request, account_request, refuse_form=form, status=400)
