"""The PPS forms: the plan's own fields (CarePlan.EDITABLE_FIELDS), the planned treatments and the useful contacts
(formsets), the hand-over and the new-version forms. Choices come from the value sets (labels never typed)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.rcp.forms.fiche import _style, mark_invalid
from oncodcc.terminology import valuesets as vs

from .models import CarePlan, Contact, PlannedTreatment
from .services import CarePlanInput

BLANK = [("", "—")]


def _date(label: str, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


def _label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def _text(model, name: str, *, textarea: bool = False) -> forms.CharField:
    field = model._meta.get_field(name)
    return forms.CharField(label=_label(model, name), required=False, max_length=field.max_length,
                           widget=forms.Textarea(attrs={"rows": 2}) if textarea else forms.TextInput())


def _coded(name: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=_label(CarePlan, name), required=False,
                                     choices=vs.get(CarePlan.CODED_LISTS[name]).choices(),
                                     widget=forms.CheckboxSelectMultiple)


def practitioners():
    return Practitioner.objects.filter(active=True).order_by("last_name", "first_name")


class CarePlanForm(forms.Form):
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=10**9)
    referring_doctor = forms.ModelChoiceField(label=_label(CarePlan, "referring_doctor"), required=False,
                                              queryset=Practitioner.objects.none(), empty_label="—")
    rcp_date = _date(_label(CarePlan, "rcp_date"))
    all_treatments_stopped = forms.BooleanField(label=_label(CarePlan, "all_treatments_stopped"), required=False)
    treatments_stopped_on = _date(_label(CarePlan, "treatments_stopped_on"))
    side_effect_prevention = _coded("side_effect_prevention")
    side_effect_comment = _text(CarePlan, "side_effect_comment", textarea=True)
    associated_measures = _coded("associated_measures")
    associated_measures_comment = _text(CarePlan, "associated_measures_comment", textarea=True)
    follow_up = _coded("follow_up")
    follow_up_text = _text(CarePlan, "follow_up_text", textarea=True)
    supportive_care = _coded("supportive_care")
    supportive_care_comment = _text(CarePlan, "supportive_care_comment", textarea=True)
    socio_support = _coded("socio_support")
    socio_support_comment = _text(CarePlan, "socio_support_comment", textarea=True)
    comment = _text(CarePlan, "comment", textarea=True)
    update_reason = forms.ChoiceField(label=_label(CarePlan, "update_reason"), required=False,
                                      choices=BLANK + vs.get(vs.UPDATE_REASON).choices())
    update_reason_text = _text(CarePlan, "update_reason_text")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referring_doctor"].queryset = practitioners()
        _style(self)

    @classmethod
    def initial_for(cls, plan: CarePlan) -> dict[str, Any]:
        data = {name: getattr(plan, name) for name in CarePlan.EDITABLE_FIELDS}
        data["referring_doctor"] = plan.referring_doctor_id
        data["lock_version"] = plan.lock_version
        return data


class TreatmentForm(forms.Form):
    code = forms.ChoiceField(label=_label(PlannedTreatment, "code"),
                             choices=BLANK + vs.get(vs.PPS_TREATMENT_TYPE).choices())
    start_date = _date(_label(PlannedTreatment, "start_date"))
    end_date = _date(_label(PlannedTreatment, "end_date"))
    rhythm = _text(PlannedTreatment, "rhythm")
    place = _text(PlannedTreatment, "place")
    at_home = forms.BooleanField(label=_label(PlannedTreatment, "at_home"), required=False)
    administration = _text(PlannedTreatment, "administration")
    side_effects = _text(PlannedTreatment, "side_effects")
    comment = _text(PlannedTreatment, "comment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ContactForm(forms.Form):
    role = forms.ChoiceField(label=_label(Contact, "role"), choices=BLANK + list(Contact.Role.choices))
    structure = forms.ChoiceField(label=_label(Contact, "structure"), required=False,
                                  choices=BLANK + vs.get(vs.CARE_STRUCTURE).choices())
    name = _text(Contact, "name")
    phone = _text(Contact, "phone")
    email = forms.EmailField(label=_label(Contact, "email"), required=False)
    practitioner = forms.IntegerField(required=False, widget=forms.HiddenInput)
    organisation = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        _style(self)

    # The directory links carried over from the saved contact: dropped when they no longer exist (or were forged).
    def clean_practitioner(self):
        pk = self.cleaned_data.get("practitioner")
        return pk if pk and Practitioner.objects.filter(pk=pk).exists() else None

    def clean_organisation(self):
        pk = self.cleaned_data.get("organisation")
        return pk if pk and Organisation.objects.filter(pk=pk).exists() else None


class RowFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Supprimer"
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


TreatmentFormSet = forms.formset_factory(TreatmentForm, formset=RowFormSet, extra=0, can_delete=True, max_num=30,
                                         validate_max=True)
ContactFormSet = forms.formset_factory(ContactForm, formset=RowFormSet, extra=0, can_delete=True, max_num=30,
                                       validate_max=True)

TREATMENT_KEYS = ["code", "start_date", "end_date", "rhythm", "place", "at_home", "administration", "side_effects",
                  "comment"]
CONTACT_KEYS = ["role", "structure", "name", "phone", "email", "practitioner", "organisation"]


class CarePlanEditor:
    """The plan form and its two formsets, bound together; to_input() for services.update."""

    def __init__(self, data=None, *, plan: CarePlan):
        self.plan = plan
        if data is None:
            self.form = CarePlanForm(initial=CarePlanForm.initial_for(plan))
            self.treatments = TreatmentFormSet(prefix="treatments", initial=[
                {k: getattr(t, k) for k in TREATMENT_KEYS} for t in plan.treatments.all()])
            self.contacts = ContactFormSet(prefix="contacts", initial=[
                {**{k: getattr(c, k) for k in CONTACT_KEYS if k not in ("practitioner", "organisation")},
                 "practitioner": c.practitioner_id, "organisation": c.organisation_id} for c in plan.contacts.all()])
        else:
            self.form = CarePlanForm(data)
            self.treatments = TreatmentFormSet(data, prefix="treatments")
            self.contacts = ContactFormSet(data, prefix="contacts")
        self.list_errors: dict[str, list[str]] = {}
        self.other_errors: list[str] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.treatments.is_valid(), self.contacts.is_valid()])

    @property
    def lock_version(self) -> int:
        return self.form.cleaned_data["lock_version"]

    def _rows(self, formset) -> list[forms.Form]:
        return [row for row in formset.forms
                if row.cleaned_data and not row.cleaned_data.get("DELETE")]

    def to_input(self) -> CarePlanInput:
        cd = self.form.cleaned_data
        fields = {name: cd[name] for name in CarePlan.EDITABLE_FIELDS}
        fields["referring_doctor"] = cd["referring_doctor"].pk if cd["referring_doctor"] else None
        for name in CarePlan.CODED_LISTS:
            fields[name] = list(cd[name])
        treatments = [{k: row.cleaned_data[k] for k in TREATMENT_KEYS} for row in self._rows(self.treatments)]
        contacts = [{k: row.cleaned_data[k] for k in CONTACT_KEYS} for row in self._rows(self.contacts)]
        return CarePlanInput(fields=fields, treatments=treatments, contacts=contacts)

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service's French messages on the fields ("treatments.2.code" -> the second kept row)."""
        mapping = getattr(exc, "message_dict", None) or {"__all__": exc.messages}
        rows = {"treatments": self._rows(self.treatments) if self.treatments.is_bound and self.treatments.is_valid()
                else self.treatments.forms,
                "contacts": self._rows(self.contacts) if self.contacts.is_bound and self.contacts.is_valid()
                else self.contacts.forms}
        for key, messages in mapping.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] in rows and parts[1].isdigit():
                index = int(parts[1]) - 1
                if 0 <= index < len(rows[parts[0]]) and parts[2] in rows[parts[0]][index].fields:
                    for m in messages:
                        rows[parts[0]][index].add_error(parts[2], m)
                    continue
            if key in ("treatments", "contacts"):
                self.list_errors.setdefault(key, []).extend(messages)
            elif key in self.form.fields and key != "lock_version" and hasattr(self.form, "cleaned_data"):
                for m in messages:
                    self.form.add_error(key, m)
            elif key in self.form.fields and key != "lock_version":
                self.form.errors.setdefault(key, self.form.error_class()).extend(messages)
            else:
                self.other_errors.extend(messages)

    def prepare_for_render(self) -> "CarePlanEditor":
        mark_invalid(self.form)
        for formset in (self.treatments, self.contacts):
            for row in formset.forms:
                mark_invalid(row)
        return self


class HandOverForm(forms.Form):
    handed_over_at = _date("Remis au patient le", required=True)
    handed_over_by = forms.ModelChoiceField(label="Remis par", queryset=Practitioner.objects.none(), empty_label="—")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handed_over_by"].queryset = practitioners()
        _style(self)


class NewVersionForm(forms.Form):
    reason_code = forms.ChoiceField(label="Motif de la mise à jour", choices=BLANK + vs.get(vs.UPDATE_REASON).choices())
    reason_text = forms.CharField(label="Précision sur le motif", required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
