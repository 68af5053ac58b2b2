"""The fiche RCP form: the national data set (CI-SIS FRCP 2022.01) and three formsets (tumours, proposed
treatments, further tests).

The forms check the shape of the input (codes from the national value sets, dates, lengths, control characters)
and convert it into a `services.fiches.FicheInput`; the rules of the data set are the service's (validation at
signature), whose errors are mapped back onto the fields with `FicheEditor.add_service_errors`.
"""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from oncodcc.core.validators import no_control_characters
from oncodcc.questionnaires import engine
from oncodcc.questionnaires.forms import PREFIX as ORGAN_PREFIX
from oncodcc.questionnaires.forms import OrganForm
from oncodcc.questionnaires.models import FicheAnswers
from oncodcc.terminology import valuesets as vs
from oncodcc.trials.matching import shown_trials
from oncodcc.trials.models import Trial

from ..models import Fiche, FurtherTest, ProposedTreatment, Tumour
from ..services.fiches import MAX_TEXT, TEST_FIELDS, TREATMENT_FIELDS, TUMOUR_FIELDS, FicheInput

BLANK = ("", "—")
YES_NO = [("True", "Oui"), ("False", "Non")]
YES_NO_UNKNOWN = [("True", "Oui"), ("False", "Non"), ("", "Non renseigné")]
CHILD_LISTS = {"tumours": "Tumeurs", "treatments": "Traitements proposés", "further_tests": "Examens complémentaires"}
MAX_TUMOURS = 20
MAX_TREATMENTS = 30
MAX_TESTS = 30
TOPOGRAPHY_LIST_ID = "jdv-topographie"
MORPHOLOGY_LIST_ID = "jdv-morphologie"
# Coded fields of the fiche and their value sets (labels always come from these files).
CODED = {
    "nature": vs.NATURE_DISCUSSION, "organ_system": vs.ORGAN_SYSTEM, "case_status": vs.CASE_STATUS,
    "who_performance": vs.WHO_PERFORMANCE, "phase": vs.PHASE, "progression_type": vs.PROGRESSION,
}
CODED_LISTS = {"organs": vs.ORGAN, "care_types": vs.CROSS_CUTTING_CARE}


def _label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def _choices(valueset: str, *, blank: bool = True) -> list[tuple[str, str]]:
    return ([BLANK] if blank else []) + vs.get(valueset).choices()


def _text(model, name: str, *, textarea: bool = False, rows: int = 3, max_length: int | None = None) -> forms.CharField:
    limit = max_length or getattr(model._meta.get_field(name), "max_length", None) or MAX_TEXT
    widget = forms.Textarea(attrs={"rows": rows}) if textarea else forms.TextInput()
    return forms.CharField(label=_label(model, name), required=False, max_length=limit, widget=widget,
                           validators=[no_control_characters])


def _date(model, name: str) -> forms.DateField:
    return forms.DateField(label=_label(model, name), required=False,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


def _bool(model, name: str) -> forms.BooleanField:
    return forms.BooleanField(label=_label(model, name), required=False)


def _yes_no(model, name: str, choices=YES_NO) -> forms.NullBooleanField:
    return forms.NullBooleanField(label=_label(model, name), required=False, widget=forms.RadioSelect(choices=choices))


def code_from_text(value: str) -> str:
    """'C50.4 — Quadrant supéro-externe du sein' (a datalist entry pasted whole) or 'c50.4' -> 'C50.4'."""
    text = " ".join((value or "").split())
    for separator in (" — ", " - ", " "):
        if separator in text:
            text = text.split(separator, 1)[0]
            break
    return text.upper()


class CodeInput(forms.TextInput):
    """A text input with the suggestions of a national value set (a shared <datalist>)."""

    def __init__(self, list_id: str):
        super().__init__(attrs={"list": list_id, "autocomplete": "off", "spellcheck": "false"})


SUGGESTION_LISTS = {TOPOGRAPHY_LIST_ID: vs.TOPOGRAPHY, MORPHOLOGY_LIST_ID: vs.MORPHOLOGY}
SUGGESTIONS_SHOWN = 30


def code_datalists() -> SafeString:
    """The (empty) <datalist>s of the CIM-10 topographies and CIM-O-3 morphologies: fiche.js fills them from
    rcp:code_suggestions as the user types, instead of sending ~1,750 options in every page."""
    return format_html_join(
        "", '<datalist id="{}" data-suggest-url="{}"></datalist>',
        ((list_id, reverse("rcp:code_suggestions", args=[list_id])) for list_id in SUGGESTION_LISTS),
    )


def code_suggestions(list_id: str, query: str) -> list[tuple[str, str]]:
    """(code, display) of the value set whose code starts with, or whose label contains, what was typed."""
    typed = " ".join(query.split()).casefold()[:40]
    if not typed:
        return []
    concepts = vs.get(SUGGESTION_LISTS[list_id]).concepts
    by_code = [c for c in concepts if c.code.casefold().startswith(typed)]
    by_label = [c for c in concepts if typed in c.label.casefold() and c not in by_code]
    return [(c.code, c.label) for c in [*by_code, *by_label][:SUGGESTIONS_SHOWN]]


def _style(form: forms.Form) -> None:
    """Bootstrap classes on the widgets (no inline style: strict CSP)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def mark_invalid(form: forms.Form) -> None:
    """aria-invalid on the widgets of the fields in error (screen readers announce them)."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": f"{form[name].auto_id}-errors"})


class FicheForm(forms.Form):
    """The fiche's own fields (Fiche.EDITABLE_FIELDS) and the version the writer started from."""

    lock_version = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput,
        error_messages={"required": "Version de la fiche manquante : rechargez la page avant d'enregistrer.",
                        "invalid": "Version de la fiche invalide : rechargez la page avant d'enregistrer."},
    )
    # 1. Type / motif de la RCP
    nature = forms.ChoiceField(label=_label(Fiche, "nature"), required=False, choices=_choices(vs.NATURE_DISCUSSION))
    organ_system = forms.ChoiceField(label=_label(Fiche, "organ_system"), required=False,
                                     choices=_choices(vs.ORGAN_SYSTEM))
    organs = forms.MultipleChoiceField(label=_label(Fiche, "organs"), required=False,
                                       choices=_choices(vs.ORGAN, blank=False), widget=forms.CheckboxSelectMultiple)
    care_types = forms.MultipleChoiceField(label=_label(Fiche, "care_types"), required=False,
                                           choices=_choices(vs.CROSS_CUTTING_CARE, blank=False),
                                           widget=forms.CheckboxSelectMultiple)
    is_recourse = _bool(Fiche, "is_recourse")
    is_paediatric = _bool(Fiche, "is_paediatric")
    motive_diagnostic = _bool(Fiche, "motive_diagnostic")
    motive_treatment = _bool(Fiche, "motive_treatment")
    motive_recourse = _bool(Fiche, "motive_recourse")
    motive_paediatric = _bool(Fiche, "motive_paediatric")
    case_status = forms.ChoiceField(label=_label(Fiche, "case_status"), required=False,
                                    choices=_choices(vs.CASE_STATUS, blank=False), widget=forms.RadioSelect)
    # 2. Mode de découverte
    screening = _yes_no(Fiche, "screening")
    screening_date = _date(Fiche, "screening_date")
    # 5. Statut fonctionnel
    who_performance = forms.ChoiceField(label=_label(Fiche, "who_performance"), required=False,
                                        choices=_choices(vs.WHO_PERFORMANCE))
    # 6. Phase
    phase = forms.ChoiceField(label=_label(Fiche, "phase"), required=False, choices=_choices(vs.PHASE, blank=False),
                              widget=forms.RadioSelect)
    progression = _yes_no(Fiche, "progression", YES_NO_UNKNOWN)
    progression_type = forms.ChoiceField(label=_label(Fiche, "progression_type"), required=False,
                                         choices=_choices(vs.PROGRESSION))
    # 11. Synthèse et question
    case_summary = _text(Fiche, "case_summary", textarea=True, rows=6)
    question = _text(Fiche, "question", textarea=True, rows=2)
    # 12. Statut du dossier
    complete_file = _bool(Fiche, "complete_file")
    # 13. Plan de soins
    surveillance_only = _bool(Fiche, "surveillance_only")
    recourse_referral = _bool(Fiche, "recourse_referral")
    recourse_referral_detail = _text(Fiche, "recourse_referral_detail")
    proposal_comment = _text(Fiche, "proposal_comment", textarea=True)
    # 14. Cadre de la proposition
    guideline_name = _text(Fiche, "guideline_name")
    guideline_version = _text(Fiche, "guideline_version")
    guideline_date = _date(Fiche, "guideline_date")
    trial_proposed = _yes_no(Fiche, "trial_proposed")
    trial_detail = _text(Fiche, "trial_detail")
    proposed_trial_id = forms.TypedChoiceField(
        label="Essai du registre régional", coerce=int, empty_value=None, required=False,
        help_text="Choisir l'essai enregistre son identifiant (EU CT ou NCT) dans la fiche et le document CDA.")
    # 15. Commentaires
    comments = _text(Fiche, "comments", textarea=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        # The codes already chosen come first in the long lists (the others follow in the national order).
        for name in CODED_LISTS:
            chosen = set(self.initial.get(name) or [])
            field = self.fields[name]
            field.choices = sorted(field.choices, key=lambda choice: choice[0] not in chosen)

    def clean(self):
        data = super().clean()
        # Items that only make sense with their parent answer are emptied with it (as the screen hides them).
        if data.get("screening") is not True:
            data["screening_date"] = None
        if data.get("progression") is not True:
            data["progression_type"] = ""
        if data.get("trial_proposed") is not True:
            data["trial_detail"] = ""
            data["proposed_trial_id"] = None
        elif data.get("proposed_trial_id") and not data.get("trial_detail"):
            data["trial_detail"] = str(Trial.objects.get(pk=data["proposed_trial_id"]))[:300]
        if not data.get("recourse_referral"):
            data["recourse_referral_detail"] = ""
        if data.get("nature") != vs.NATURE_CROSS_CUTTING:
            data["care_types"] = []
        return data

    def fields_input(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in Fiche.EDITABLE_FIELDS}


def trial_choices(fiche: Fiche) -> list:
    """The open trials of the registry (and the one already chosen, even if it has closed since), the case's
    possible trials (pre-screening) first in their own group. One query when the registry has no open trial."""
    trials = list(Trial.objects.filter(Q(status=Trial.Status.OPEN) | Q(pk=fiche.proposed_trial_id or 0)))
    blank = ("", "— aucun essai du registre —")
    if not trials:
        return [blank]
    possible = {trial.pk for trial in shown_trials(fiche.registration, trials)}
    return [blank,
            ("Essais possibles pour ce dossier", [(str(t.pk), str(t)) for t in trials if t.pk in possible]),
            ("Autres essais du registre", [(str(t.pk), str(t)) for t in trials if t.pk not in possible])]


class _ChildForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class TumourForm(_ChildForm):
    topography = forms.CharField(label=_label(Tumour, "topography"), required=False, max_length=300,
                                 widget=CodeInput(TOPOGRAPHY_LIST_ID), validators=[no_control_characters])
    morphology = forms.CharField(label=_label(Tumour, "morphology"), required=False, max_length=300,
                                 widget=CodeInput(MORPHOLOGY_LIST_ID), validators=[no_control_characters])
    laterality = forms.ChoiceField(label=_label(Tumour, "laterality"), required=False, choices=_choices(vs.LATERALITY))
    diagnosis_date = _date(Tumour, "diagnosis_date")
    tnm_t = _text(Tumour, "tnm_t")
    tnm_n = _text(Tumour, "tnm_n")
    tnm_m = _text(Tumour, "tnm_m")
    tnm_edition = _text(Tumour, "tnm_edition")
    other_stage = _text(Tumour, "other_stage")
    comment = _text(Tumour, "comment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tnm_edition"].initial = Tumour._meta.get_field("tnm_edition").default

    def _clean_code(self, name: str, valueset: str, message: str) -> str:
        code = code_from_text(self.cleaned_data.get(name, ""))
        if code and code not in vs.get(valueset):
            raise ValidationError(message)
        return code

    def clean_topography(self) -> str:
        return self._clean_code("topography", vs.TOPOGRAPHY, "Code CIM-10 inconnu du jeu de valeurs JDV_Tumeur_CISIS.")

    def clean_morphology(self) -> str:
        return self._clean_code("morphology", vs.MORPHOLOGY, "Code CIM-O-3 inconnu du jeu de valeurs JDV_Morphologie_CISIS.")



class TreatmentForm(_ChildForm):
    code = forms.ChoiceField(label=_label(ProposedTreatment, "code"), choices=_choices(vs.TREATMENT_TYPE),
                             error_messages={"required": "Choisissez le type de traitement."})
    is_alternative = forms.BooleanField(label=_label(ProposedTreatment, "is_alternative"), required=False)
    detail = _text(ProposedTreatment, "detail")


class FurtherTestForm(_ChildForm):
    description = forms.CharField(label=_label(FurtherTest, "description"), max_length=300,
                                  validators=[no_control_characters],
                                  error_messages={"required": "Décrivez l'examen ou l'avis demandé."})
    earliest = _date(FurtherTest, "earliest")
    latest = _date(FurtherTest, "latest")

    def clean(self):
        data = super().clean()
        if data.get("earliest") and data.get("latest") and data["earliest"] > data["latest"]:
            self.add_error("latest", "La date au plus tard précède la date au plus tôt.")
        return data


class _ChildFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Supprimer"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"
        if "ORDER" in form.fields:
            form.fields["ORDER"].label = "Ordre"
            form.fields["ORDER"].widget.attrs.update({"class": "form-control", "min": "1", "max": "99"})

    # Fields that do not make a row worth keeping on their own (a default value, the order).
    filler_fields = frozenset({"tnm_edition", "ORDER", "DELETE", "is_alternative"})

    def rows(self) -> list[dict[str, Any]]:
        """The kept rows, in order, as plain dicts: deleted rows, untouched added rows and blank rows skipped."""
        if self.can_order:
            kept = self.ordered_forms  # already without deleted and untouched extra rows
        else:
            kept = [
                form for i, form in enumerate(self.forms)
                if (i < self.initial_form_count() or form.has_changed())
                and not (self.can_delete and self._should_delete_form(form))
            ]
        return [
            form.cleaned_data for form in kept
            if any(value not in (None, "", [], False) for name, value in form.cleaned_data.items()
                   if name not in self.filler_fields)
        ]


TumourFormSet = forms.formset_factory(TumourForm, formset=_ChildFormSet, extra=0, can_delete=True,
                                      max_num=MAX_TUMOURS, validate_max=True)
TreatmentFormSet = forms.formset_factory(TreatmentForm, formset=_ChildFormSet, extra=0, can_delete=True,
                                         can_order=True, max_num=MAX_TREATMENTS, validate_max=True)
FurtherTestFormSet = forms.formset_factory(FurtherTestForm, formset=_ChildFormSet, extra=0, can_delete=True,
                                           max_num=MAX_TESTS, validate_max=True)


def initial_from_fiche(fiche: Fiche) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(fiche, name) for name in Fiche.EDITABLE_FIELDS}
    initial["lock_version"] = fiche.lock_version
    return initial


def organ_record(fiche: Fiche) -> FicheAnswers | None:
    return FicheAnswers.objects.select_related("questionnaire", "carried_over_from__registration__meeting").filter(
        fiche=fiche).first()


class FicheEditor:
    """The fiche form, its three formsets and the organ-specific part (pinned form version), handled as one."""

    def __init__(self, data=None, *, fiche: Fiche):
        self.fiche = fiche
        self.form = FicheForm(data, initial=initial_from_fiche(fiche))
        self.form.fields["proposed_trial_id"].choices = trial_choices(fiche)
        self.organ_record = organ_record(fiche)
        self.organ: OrganForm | None = None
        if self.organ_record is not None:
            questionnaire = self.organ_record.questionnaire
            answers = None if data is not None else engine.from_response(questionnaire.form, self.organ_record.response)
            self.organ = OrganForm(questionnaire.form, data, answers=answers)
        tumours = [{f: getattr(t, f) for f in TUMOUR_FIELDS} for t in fiche.tumours.all()]
        treatments = [{f: getattr(t, f) for f in TREATMENT_FIELDS} for t in fiche.treatments.all()]
        tests = [{f: getattr(t, f) for f in TEST_FIELDS} for t in fiche.further_tests.all()]
        self.tumours = TumourFormSet(data, initial=tumours, prefix="tumours")
        self.treatments = TreatmentFormSet(data, initial=treatments, prefix="treatments")
        self.further_tests = FurtherTestFormSet(data, initial=tests, prefix="further_tests")
        # Unbound, an empty list gets one blank row to start typing in.
        if data is None:
            self.tumours.extra = 0 if tumours else 1
            self.treatments.extra = 0 if treatments else 1
        # Service errors on the child lists, shown above each formset.
        self.list_errors: dict[str, list[str]] = {name: [] for name in CHILD_LISTS}
        self.general_errors: list[str] = []

    @property
    def formsets(self) -> dict[str, forms.BaseFormSet]:
        return {"tumours": self.tumours, "treatments": self.treatments, "further_tests": self.further_tests}

    def is_valid(self) -> bool:
        results = [self.form.is_valid(), *(fs.is_valid() for fs in self.formsets.values())]
        if self.organ is not None:
            results.append(self.organ.is_valid())
        return all(results)

    @property
    def lock_version(self) -> int:
        return self.form.cleaned_data["lock_version"]

    def to_input(self) -> FicheInput:
        """The cleaned data as the service's input (call after is_valid())."""
        return FicheInput(
            fields=self.form.fields_input(),
            tumours=[{f: row.get(f) for f in TUMOUR_FIELDS} for row in self.tumours.rows()],
            treatments=[{f: row.get(f) for f in TREATMENT_FIELDS} for row in self.treatments.rows()],
            further_tests=[{f: row.get(f) for f in TEST_FIELDS} for row in self.further_tests.rows()],
            organ_answers=self.organ.answers_input() if self.organ is not None and self.organ.is_bound else None,
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ValidationError (or FicheValidationError): on the fields, above the formsets, or general."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        if not self.form.is_bound:  # showing the saved fiche: the errors still go next to the fields
            self.form.errors  # noqa: B018 (builds the error dict)
            self.form.cleaned_data = {}
        for name, messages in errors.items():
            if name.startswith(ORGAN_PREFIX) and self.organ is not None:
                if not self.organ.is_bound:
                    self.organ.errors  # noqa: B018 (builds the error dict)
                    self.organ.cleaned_data = {}
                self.organ.add_service_error(name, messages)
            elif name in self.list_errors:
                self.list_errors[name].extend(messages)
            elif name in self.form.fields and name != "lock_version":
                self.form.add_error(name, messages)
            else:
                self.general_errors.extend(messages)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.general_errors or any(self.list_errors.values()) or self.form.errors
            or (self.organ is not None and self.organ.errors)
            or any(fs.total_error_count() for fs in self.formsets.values())
        )

    def error_summary(self) -> list[str]:
        """Every message, for the summary at the top of the form (each also shown next to its field)."""
        summary = list(self.general_errors)
        for name, messages in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            summary.extend(f"{label} : {m}" if label and name != "lock_version" else m for m in messages)
        if self.organ is not None:
            for name, messages in self.organ.errors.items():
                label = self.organ.fields[name].label if name in self.organ.fields else ""
                summary.extend(f"{label} : {m}" if label else m for m in messages)
        for name, formset in self.formsets.items():
            summary.extend(f"{CHILD_LISTS[name]} : {m}" for m in self.list_errors[name])
            summary.extend(f"{CHILD_LISTS[name]} : {m}" for m in formset.non_form_errors())
            for index, form_errors in enumerate(formset.errors if formset.is_bound else [], start=1):
                for field_name, messages in form_errors.items():
                    where = formset.form.base_fields[field_name].label if field_name in formset.form.base_fields else ""
                    prefix = f"{CHILD_LISTS[name]}, ligne {index}" + (f" ({where})" if where else "")
                    summary.extend(f"{prefix} : {m}" for m in messages)
        return summary

    def prepare_for_render(self) -> "FicheEditor":
        for form in (self.form, *(f for fs in self.formsets.values() for f in fs.forms)):
            mark_invalid(form)
        if self.organ is not None:
            mark_invalid(self.organ)
        return self


# --- what differs between two writers (HTTP 409) ---

def _yes_no_label(value: bool | None) -> str:
    return {True: "Oui", False: "Non"}.get(value, "Non renseigné")


def _date_label(value: date | str | None) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value or "")


def _tumour_label(t: dict[str, Any]) -> str:
    parts = [
        f"{t.get('topography') or '?'} {vs.label(vs.TOPOGRAPHY, t.get('topography'))}".strip(),
        vs.label(vs.LATERALITY, t.get("laterality")),
        f"{t.get('morphology') or '?'} {vs.label(vs.MORPHOLOGY, t.get('morphology'))}".strip(),
        " ".join(p for p in (t.get("tnm_t"), t.get("tnm_n"), t.get("tnm_m")) if p),
        t.get("other_stage") or "",
        f"diagnostic le {_date_label(t.get('diagnosis_date'))}" if t.get("diagnosis_date") else "",
        t.get("comment") or "",
    ]
    return ", ".join(p for p in parts if p)


def _treatment_label(index: int, t: dict[str, Any]) -> str:
    text = f"{index}. {vs.label(vs.TREATMENT_TYPE, t.get('code'))}"
    if t.get("is_alternative"):
        text += " (alternative)"
    if t.get("detail"):
        text += f" — {t['detail']}"
    return text


def _test_label(t: dict[str, Any]) -> str:
    text = t.get("description") or ""
    if t.get("earliest") or t.get("latest"):
        text += f" (entre le {_date_label(t.get('earliest')) or '…'} et le {_date_label(t.get('latest')) or '…'})"
    return text


def display_value(name: str, value: Any) -> list[str]:
    """A value of the fiche as lines of text for a person (codes shown with their national label)."""
    if name == "tumours":
        return [_tumour_label(t) for t in value or []] or ["(aucune)"]
    if name == "treatments":
        return [_treatment_label(i, t) for i, t in enumerate(value or [], start=1)] or ["(aucun)"]
    if name == "further_tests":
        return [_test_label(t) for t in value or []] or ["(aucun)"]
    if name in CODED:
        return [vs.label(CODED[name], value) if value else "—"]
    if name in CODED_LISTS:
        return [vs.label(CODED_LISTS[name], code) for code in value or []] or ["—"]
    if isinstance(value, bool) or (value is None and name in {"screening", "progression", "trial_proposed"}):
        return [_yes_no_label(value)]
    if isinstance(value, date):
        return [_date_label(value)]
    return [str(value)] if value not in (None, "") else ["—"]


def field_label(name: str) -> str:
    return CHILD_LISTS.get(name) or _label(Fiche, name)


def _organ_rows(yours: dict[str, str], current: dict[str, str]) -> list[dict[str, Any]]:
    """The organ form's answers (item text -> displayed value) that differ: one row per item."""
    texts = [*current, *(text for text in yours if text not in current)]
    return [{"name": f"{ORGAN_PREFIX}{index}", "label": text, "current": [current.get(text) or "—"],
             "yours": [yours.get(text) or "—"]}
            for index, text in enumerate(texts) if (yours.get(text) or "") != (current.get(text) or "")]


def conflict_rows(changes: dict[str, tuple[Any, Any]]) -> list[dict[str, Any]]:
    """ConcurrentEditError.changes (field -> (yours, saved meanwhile)) as rows of the conflict table; the organ
    form's answers (`organ`: item text -> value) as one row per item that differs, after the fiche's fields."""
    order = [*Fiche.EDITABLE_FIELDS, *CHILD_LISTS]
    rows = []
    for name in sorted(changes, key=lambda n: order.index(n) if n in order else len(order)):
        yours, current = changes[name]
        if name == "organ":
            rows.extend(_organ_rows(yours or {}, current or {}))
            continue
        rows.append({"name": name, "label": field_label(name), "current": display_value(name, current),
                     "yours": display_value(name, yours)})
    return rows
