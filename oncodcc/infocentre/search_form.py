"""The criteria of the search over fiches: keywords and structured filters, read from the page's query string
(GET, so that a search can be bookmarked, saved and exported with the same criteria)."""

import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from oncodcc.directory.models import Organisation
from oncodcc.questionnaires import services as questionnaires
from oncodcc.questionnaires.models import Questionnaire
from oncodcc.rcp.models import Board
from oncodcc.terminology import valuesets

TOPOGRAPHY = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")
MORPHOLOGY = re.compile(r"^\d{4}/\d$")
CRITERIA = ["q", "board", "organ", "topography", "morphology", "stage", "marker", "treatment", "trial", "hospital",
            "start", "end"]


@dataclass(frozen=True)
class Marker:
    """A value of an organ form's statistics column, e.g. Sein — Statut HER2 retenu : HER2 positif."""

    form_url: str
    column: str
    code: str

    @property
    def token(self) -> str:
        return f"{self.form_url}|{self.column}|{self.code}"

    @classmethod
    def parse(cls, token: str) -> "Marker":
        form_url, column, code = token.split("|", 2)
        return cls(form_url, column, code)


_MARKERS: dict[tuple, list] = {}


def marker_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped per published form: the coded answers of its statistics columns (HER2, EGFR, RAS…).

    Reading and parsing every form costs ~80 ms; a published version never changes (its sha256 says so), so the
    choices are kept per set of published versions and rebuilt only when one is added."""
    key = tuple(Questionnaire.objects.filter(status=Questionnaire.Status.ACTIVE).order_by("pk")
                .values_list("pk", "sha256"))
    if key not in _MARKERS:
        _MARKERS.clear()
        _MARKERS[key] = _marker_choices()
    return _MARKERS[key]


def _marker_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups = []
    for questionnaire in questionnaires.catalogue():
        options = []
        for column, item in questionnaire.form.statistics_items.items():
            options += [(Marker(questionnaire.url, column, o.code).token, f"{item.text} : {o.display}")
                        for o in item.options]
        if options:
            groups.append((questionnaire.title, options))
    return groups


class SearchForm(forms.Form):
    q = forms.CharField(label="Mots-clés", required=False, max_length=200,
                        help_text="Dans la question, la synthèse, la proposition, les commentaires et les réponses "
                                  "du formulaire d'organe ; sans accents ni pluriels à respecter.")
    board = forms.ModelChoiceField(label="RCP", queryset=Board.objects.order_by("name"), required=False,
                                   empty_label="Toutes")
    organ = forms.ChoiceField(label="Organe", required=False)
    topography = forms.CharField(label="Topographie (CIM-10)", required=False, max_length=6,
                                 help_text="Code ou début de code, ex. C50 ou C50.4.")
    morphology = forms.CharField(label="Morphologie (CIM-O-3)", required=False, max_length=6,
                                 help_text="Ex. 8500/3.")
    stage = forms.CharField(label="Stade", required=False, max_length=50,
                            help_text="Tel que saisi dans le formulaire d'organe, ex. IIA.")
    marker = forms.ChoiceField(label="Marqueur (formulaire d'organe)", required=False)
    treatment = forms.ChoiceField(label="Traitement proposé", required=False)
    trial = forms.ChoiceField(label="Essai clinique proposé", required=False,
                              choices=[("", "Indifférent"), ("oui", "Oui"), ("non", "Non")])
    hospital = forms.ModelChoiceField(
        label="Établissement", required=False, empty_label="Tous",
        queryset=Organisation.objects.filter(boards__isnull=False).distinct().order_by("name"))
    start = forms.DateField(label="Séances du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="au", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organ"].choices = [("", "Tous"), *valuesets.get(valuesets.ORGAN).choices()]
        self.fields["treatment"].choices = [("", "Tous"), *valuesets.get(valuesets.TREATMENT_TYPE).choices()]
        self.fields["marker"].choices = [("", "Aucun"), *marker_choices()]
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if select else "form-control")

    def clean_topography(self) -> str:
        value = self.cleaned_data["topography"].strip().upper()
        if value and not TOPOGRAPHY.match(value):
            raise ValidationError("Code CIM-10 attendu : une lettre et deux chiffres, ex. C50 ou C50.4.")
        return value

    def clean_morphology(self) -> str:
        value = self.cleaned_data["morphology"].strip()
        if value and not MORPHOLOGY.match(value):
            raise ValidationError("Code CIM-O-3 attendu : quatre chiffres, une barre et le comportement, ex. 8500/3.")
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "La fin de la période précède son début.")
        return data

    @property
    def has_criteria(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) not in (None, "") for name in CRITERIA)

    def summary(self) -> dict[str, str]:
        """The criteria as text (audit details, export notes): codes and ids, no patient."""
        data = getattr(self, "cleaned_data", {})
        out = {}
        for name in CRITERIA:
            value = data.get(name)
            if value in (None, ""):
                continue
            out[name] = str(value.pk) if hasattr(value, "pk") else str(value)
        return out

    def labelled_summary(self) -> list[str]:
        data = getattr(self, "cleaned_data", {})
        lines = []
        for name in CRITERIA:
            value = data.get(name)
            if value in (None, ""):
                continue
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                value = dict(_flat(field.choices)).get(value, value)
            lines.append(f"{field.label} : {value}")
        return lines


def _flat(choices):
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield key, label
