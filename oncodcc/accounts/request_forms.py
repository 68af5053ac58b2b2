"""Forms of the account request (public page) and of its decision (worklist)."""

from django import forms
from django.contrib.auth import password_validation

from oncodcc.core.validators import no_control_characters
from oncodcc.directory.models import Organisation
from oncodcc.rcp.models import Board
from oncodcc.terminology import valuesets

from . import rpps as rpps_numbers
from .models import REQUESTABLE_ROLES, Role

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
REQUESTABLE_KINDS = (Organisation.Kind.CCC, Organisation.Kind.LEGAL_ENTITY, Organisation.Kind.SITE,
                     Organisation.Kind.PRACTICE)


class OrganisationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (3C)" if obj.kind == Organisation.Kind.CCC and "3C" not in obj.name else obj.name


class AccountRequestForm(forms.Form):
    rpps = forms.CharField(
        label="Numéro RPPS", required=False, max_length=20,
        help_text="11 chiffres, sur votre carte CPS ou dans l'Annuaire Santé. Facultatif pour un ou une secrétaire.",
        widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric", "autocomplete": "off"}))
    last_name = forms.CharField(label="Nom", max_length=100, validators=[no_control_characters],
                                widget=forms.TextInput(attrs={**TEXT, "autocomplete": "family-name"}))
    first_name = forms.CharField(label="Prénom", max_length=100, validators=[no_control_characters],
                                 widget=forms.TextInput(attrs={**TEXT, "autocomplete": "given-name"}))
    specialty = forms.ChoiceField(label="Spécialité", required=False, widget=forms.Select(attrs=SELECT))
    email = forms.EmailField(label="Adresse électronique", max_length=254,
                             help_text="Les liens d'activation et la réponse à votre demande y seront envoyés.",
                             widget=forms.EmailInput(attrs={**TEXT, "autocomplete": "email"}))
    phone = forms.CharField(label="Téléphone", required=False, max_length=30, validators=[no_control_characters],
                            widget=forms.TextInput(attrs={**TEXT, "autocomplete": "tel", "inputmode": "tel"}))
    role = forms.ChoiceField(label="Rôle demandé", choices=[(r.value, r.label) for r in REQUESTABLE_ROLES],
                             widget=forms.Select(attrs=SELECT))
    organisations = OrganisationChoice(
        label="Établissement(s) ou 3C d'exercice", queryset=Organisation.objects.none(),
        help_text="Maintenez Ctrl (ou ⌘) pour en choisir plusieurs.",
        widget=forms.SelectMultiple(attrs={**SELECT, "size": 6}))
    boards = forms.ModelMultipleChoiceField(
        label="RCP auxquelles vous participez", required=False, queryset=Board.objects.none(),
        widget=forms.SelectMultiple(attrs={**SELECT, "size": 6}))
    charter_version = forms.IntegerField(widget=forms.HiddenInput)
    accept_charter = forms.BooleanField(
        label="J'ai lu la charte d'utilisation du DCC et je l'accepte.",
        error_messages={"required": "La charte d'utilisation doit être acceptée pour demander un compte."},
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, charter_version: int, psc_rpps: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.charter_version = charter_version
        self.psc_rpps = psc_rpps
        self.fields["specialty"].choices = [("", "—"), *valuesets.get(valuesets.SPECIALTY).choices()]
        self.fields["organisations"].queryset = Organisation.objects.filter(
            active=True, kind__in=REQUESTABLE_KINDS).order_by("name")
        self.fields["boards"].queryset = Board.objects.filter(active=True).order_by("name")
        if psc_rpps:  # attested by Pro Santé Connect: not to be changed
            self.fields["rpps"].disabled = True
            self.fields["rpps"].help_text = "Attesté par Pro Santé Connect."

    def clean_rpps(self) -> str:
        if self.psc_rpps:
            return self.psc_rpps
        value = rpps_numbers.normalise(self.cleaned_data.get("rpps", ""))
        if value and not rpps_numbers.is_valid(value):
            raise forms.ValidationError("Ce numéro RPPS n'est pas valide : il a 11 chiffres, dont le dernier est une "
                                        "clé de contrôle. Vérifiez-le sur votre carte CPS.")
        return value

    def clean_charter_version(self) -> int:
        version = self.cleaned_data["charter_version"]
        if version != self.charter_version:
            raise forms.ValidationError("La charte d'utilisation a changé pendant votre saisie : relisez la nouvelle "
                                        "version ci-dessus et acceptez-la à nouveau.")
        return version

    def clean(self):
        data = super().clean()
        if data.get("role") in (Role.DOCTOR, Role.COORDINATOR) and not data.get("rpps") \
                and "rpps" not in self.errors:
            self.add_error("rpps", "Le numéro RPPS est nécessaire pour un compte de médecin.")
        return data


class AcceptForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", widget=forms.Select(attrs=SELECT))
    organisation = forms.ModelChoiceField(label="3C de rattachement", queryset=Organisation.objects.none(),
                                          widget=forms.Select(attrs=SELECT))
    boards = forms.ModelMultipleChoiceField(label="RCP", required=False, queryset=Board.objects.none(),
                                            widget=forms.SelectMultiple(attrs={**SELECT, "size": 6}))

    def __init__(self, *args, roles, organisations, boards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in REQUESTABLE_ROLES if r in roles]
        self.fields["organisation"].queryset = organisations
        self.fields["boards"].queryset = boards

    def clean(self):
        data = super().clean()
        organisation, boards = data.get("organisation"), data.get("boards") or []
        foreign = [board.name for board in boards if organisation and board.managing_3c_id != organisation.pk]
        if foreign:
            self.add_error("boards", "Ces RCP ne sont pas gérées par le 3C de rattachement choisi : "
                                     + ", ".join(foreign) + ".")
        return data


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label="Motif du refus (envoyé au demandeur)", max_length=1000, validators=[no_control_characters],
        error_messages={"required": "Indiquez le motif du refus : il est envoyé au demandeur."},
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}))


class ForgottenPasswordForm(forms.Form):
    email = forms.EmailField(label="Adresse électronique du compte", max_length=254,
                             widget=forms.EmailInput(attrs={**TEXT, "autocomplete": "email", "autofocus": True}))


class NewPasswordForm(forms.Form):
    """A new password, checked by the project's validators (AUTH_PASSWORD_VALIDATORS) against this account."""

    password1 = forms.CharField(label="Nouveau mot de passe", strip=False,
                                widget=forms.PasswordInput(attrs={**TEXT, "autocomplete": "new-password"}))
    password2 = forms.CharField(label="Confirmation du mot de passe", strip=False,
                                widget=forms.PasswordInput(attrs={**TEXT, "autocomplete": "new-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
