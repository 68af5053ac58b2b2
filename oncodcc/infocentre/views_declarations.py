"""The page where a 3C (or the DSRC) declares the RCP reports made in other tools, per board and month."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from oncodcc.core.policy import require
from oncodcc.rcp.models import Board

from . import declarations as declarations_service
from . import policy
from .models import DeclaredActivity


def declarable_boards(user):
    boards = Board.objects.select_related("managing_3c").order_by("managing_3c__name", "name")
    return boards if policy.is_regional(user) else boards.filter(managing_3c_id=user.organisation_id)


class DeclarationForm(forms.Form):
    board = forms.ModelChoiceField(label="RCP", queryset=Board.objects.none())
    month = forms.CharField(label="Mois", widget=forms.DateInput(attrs={"type": "month"}),
                            help_text="Au format AAAA-MM.")
    reports = forms.IntegerField(label="Comptes rendus de RCP faits hors OncoDCC", min_value=0,
                                 max_value=declarations_service.MAX_REPORTS)
    tool = forms.CharField(label="Outil utilisé", required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = declarable_boards(user)
        self.fields["board"].label_from_instance = lambda b: f"{b.managing_3c} — {b.name}"

    def clean_month(self) -> date:
        raw = self.cleaned_data["month"].strip()
        try:
            year, month = (int(part) for part in raw.split("-")[:2])
            return date(year, month, 1)
        except (TypeError, ValueError) as exc:
            raise ValidationError("Indiquez un mois au format AAAA-MM.") from exc


def declarations(request):
    require(request.user, policy.DECLARE, message="La déclaration d'activité est réservée aux administrateurs "
                                                  "3C et DSRC.")
    form = DeclarationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            declarations_service.declare(actor=request.user, board=data["board"], month=data["month"],
                                         reports=data["reports"], tool=data["tool"])
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            messages.success(request, f"Activité déclarée : {data['board']} — {data['month']:%m/%Y} — "
                                      f"{data['reports']} compte(s) rendu(s).")
            return redirect("infocentre:declarations")
    rows = (DeclaredActivity.objects.filter(board__in=declarable_boards(request.user))
            .select_related("board__managing_3c", "declared_by").order_by("-month", "board__name")[:200])
    return render(request, "infocentre/declarations.html", {"form": form, "rows": rows, "tab": "declarations"})

