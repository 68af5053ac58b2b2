"""Forms of the patient screens. They parse input; the rules live in services.py (errors come back on fields)."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from oncodcc.core.validators import no_control_characters
from oncodcc.directory.choices import PractitionerChoiceField, general_practitioners, practitioners
from oncodcc.directory.models import Organisation, Practitioner

from .models import (
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_NIR_DEMO,
    OID_INS_NIR_TEST,
    CareTeamMember,
    IdentityStatus,
    Patient,
    Sex,
)
from .services import PatientData

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"]


def _date_input() -> forms.DateInput:
    # The browser's date picker sends ISO dates; typed jj/mm/aaaa is accepted too.
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _select(**attrs) -> forms.Select:
    return forms.Select(attrs={"class": "form-select", **attrs})


def ins_oid_choices() -> list[tuple[str, str]]:
    choices = [(OID_INS_NIR, f"INS-NIR ({OID_INS_NIR})"), (OID_INS_NIA, f"INS-NIA ({OID_INS_NIA})")]
    if settings.DEMO_MODE:
        choices += [
            (OID_INS_NIR_TEST, f"INS-NIR de test ({OID_INS_NIR_TEST})"),
            (OID_INS_NIR_DEMO, f"INS-NIR de démonstration ({OID_INS_NIR_DEMO})"),
        ]
    return choices


class ErrorsFromServiceMixin:
    """Put a service's ValidationError on the form: on the named field when the form has it, else on top."""

    # Service error keys that a form shows on another field.
    error_aliases: dict[str, str] = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                key = self.error_aliases.get(key, key)
                field = key if key in self.fields else None
                for message in messages:
                    self.add_error(field, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Rechercher un patient", required=False, max_length=200, validators=[no_control_characters],
        widget=forms.TextInput(attrs={
            "class": "form-control form-control-lg", "type": "search", "autocomplete": "off",
            "placeholder": "Nom, prénom, date de naissance (jj/mm/aaaa), INS ou IPP", "autofocus": True,
            "aria-describedby": "search-help",
        }),
    )
    birth_date = forms.DateField(
        label="Date de naissance", required=False, input_formats=DATE_INPUT_FORMATS, widget=_date_input(),
    )


class PatientForm(ErrorsFromServiceMixin, forms.Form):
    """The identity of a patient: INS traits, used identity, INS, status, GP (and the IPP at creation)."""

    error_aliases = {"gp_id": "gp", "gp": "gp", "organisation": "ipp_organisation"}

    birth_name = forms.CharField(label="Nom de naissance", max_length=100, validators=[no_control_characters],
                                 widget=_text(autocomplete="off"))
    birth_given_names = forms.CharField(
        label="Prénom(s) de naissance", max_length=200, validators=[no_control_characters],
        help_text="Tous les prénoms de naissance, séparés par des espaces, comme sur la pièce d'identité.",
        widget=_text(autocomplete="off"),
    )
    first_birth_given_name = forms.CharField(
        label="Premier prénom de naissance", max_length=100, required=False, validators=[no_control_characters],
        help_text="Par défaut, le premier des prénoms de naissance.", widget=_text(autocomplete="off"),
    )
    birth_date = forms.DateField(label="Date de naissance", input_formats=DATE_INPUT_FORMATS, widget=_date_input())
    sex = forms.ChoiceField(label="Sexe", choices=[("", "—"), *Sex.choices], widget=_select())
    birthplace_insee = forms.CharField(
        label="Lieu de naissance (code INSEE)", max_length=5, required=False, validators=[no_control_characters],
        help_text="Code officiel géographique de la commune (5 caractères ; 99xxx pour un pays étranger).",
        widget=_text(autocomplete="off", inputmode="text"),
    )
    used_name = forms.CharField(label="Nom utilisé", max_length=100, required=False,
                                validators=[no_control_characters], widget=_text(autocomplete="off"))
    used_given_name = forms.CharField(label="Prénom utilisé", max_length=100, required=False,
                                      validators=[no_control_characters], widget=_text(autocomplete="off"))
    ins_matricule = forms.CharField(
        label="Matricule INS", max_length=21, required=False, validators=[no_control_characters],
        help_text="15 caractères (NIR ou NIA, clé comprise).", widget=_text(autocomplete="off", inputmode="text"),
    )
    ins_oid = forms.ChoiceField(label="Autorité d'affectation de l'INS (OID)", required=False, widget=_select())
    identity_status = forms.ChoiceField(label="Statut de l'identité", choices=IdentityStatus.choices,
                                        initial=IdentityStatus.PROVISIONAL, widget=_select())
    gp = PractitionerChoiceField(
        label="Médecin traitant", required=False, queryset=Practitioner.objects.none(),
        empty_label="— non renseigné —", help_text="Parmi les médecins généralistes de l'annuaire.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ins_oid"].choices = ins_oid_choices()
        self.fields["ins_oid"].initial = OID_INS_NIR
        self.fields["gp"].queryset = general_practitioners(self.initial.get("gp"))

    @classmethod
    def initial_from(cls, patient: Patient) -> dict:
        initial = {name: getattr(patient, name) for name in (
            "birth_name", "birth_given_names", "first_birth_given_name", "birth_date", "sex", "birthplace_insee",
            "used_name", "used_given_name", "ins_matricule", "ins_oid", "identity_status",
        )}
        initial["gp"] = patient.gp_id
        if not patient.ins_oid:
            initial["ins_oid"] = OID_INS_NIR
        return initial

    def clean_birthplace_insee(self) -> str:
        return self.cleaned_data["birthplace_insee"].strip().upper()

    def clean_ins_matricule(self) -> str:
        return "".join(self.cleaned_data["ins_matricule"].split()).upper()

    def to_data(self) -> PatientData:
        cd = self.cleaned_data
        matricule = cd["ins_matricule"]
        return PatientData(
            birth_name=cd["birth_name"], birth_given_names=cd["birth_given_names"],
            first_birth_given_name=cd["first_birth_given_name"], birth_date=cd["birth_date"], sex=cd["sex"],
            birthplace_insee=cd["birthplace_insee"], used_name=cd["used_name"],
            used_given_name=cd["used_given_name"], ins_matricule=matricule,
            ins_oid=(cd["ins_oid"] or OID_INS_NIR) if matricule else "",
            identity_status=cd["identity_status"], gp_id=cd["gp"].pk if cd["gp"] else None,
        )


class PatientCreateForm(PatientForm):
    """Creation adds the hospital's local identifier (IPP) and the duplicate confirmation."""

    ipp = forms.CharField(label="IPP", max_length=64, required=False, validators=[no_control_characters],
                          help_text="Identifiant local du patient dans l'établissement.",
                          widget=_text(autocomplete="off"))
    ipp_organisation = forms.ModelChoiceField(
        label="Établissement de l'IPP", required=False, queryset=Organisation.objects.none(),
        empty_label="— choisir —", widget=_select(),
    )
    # Set by the "Aucun de ces patients : créer quand même" button, after the candidates were shown.
    confirm_not_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ipp_organisation"].queryset = (
            Organisation.objects.filter(
                kind__in=[Organisation.Kind.LEGAL_ENTITY, Organisation.Kind.SITE], active=True
            ).exclude(oid="").order_by("name")
        )

    def clean(self):
        cleaned = super().clean()
        ipp = (cleaned.get("ipp") or "").strip()
        cleaned["ipp"] = ipp
        if ipp and not cleaned.get("ipp_organisation") and "ipp_organisation" not in self.errors:
            self.add_error("ipp_organisation", "Indiquez l'établissement qui a attribué cet IPP.")
        return cleaned


class CareTeamForm(forms.Form):
    practitioner = PractitionerChoiceField(
        label="Professionnel de santé", queryset=Practitioner.objects.none(), empty_label="— choisir —",
    )
    role = forms.ChoiceField(label="Rôle", choices=CareTeamMember.Role.choices,
                             initial=CareTeamMember.Role.SPECIALIST, widget=_select())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners()


class BreakGlassForm(ErrorsFromServiceMixin, forms.Form):
    reason = forms.CharField(
        label="Raison de l'accès", max_length=1000, validators=[no_control_characters],
        help_text="Au moins 15 caractères. Cette justification est conservée et lue par le DPO.",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
