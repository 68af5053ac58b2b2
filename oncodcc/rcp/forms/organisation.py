"""Forms of the RCP organisation screens: ad hoc meetings, attendance (guests), registrations.

Forms only parse and check the shape of the input; the business rules (deadline, rights, transitions) live in
the services, whose ValidationError is mapped back onto the fields with `add_service_errors`.
"""

from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from oncodcc.core.validators import no_control_characters
from oncodcc.core.widgets import Picker
from oncodcc.directory.choices import PractitionerChoiceField, practitioners
from oncodcc.directory.models import Practitioner
from oncodcc.terminology import valuesets

from ..models import PARIS, Board, Meeting, Registration
from ..policy import boards_of

# How far ahead the registration form lists the region's meetings (a preselected meeting is always listed).
REGISTRATION_HORIZON_DAYS = 90
# How many meetings of the same board a move proposes, and how far ahead it lists the other boards' ones.
MOVE_SAME_BOARD_LIMIT = 12
MOVE_OTHER_BOARDS_HORIZON_DAYS = 60
MAX_TEXT = 20_000
MAX_YEARS_AHEAD = 5
FIELD_TEMPLATE = "rcp/registration_field.html"


def meeting_when(meeting: Meeting) -> str:
    """'mardi 13/10/2026 à 17:00', in Europe/Paris."""
    local = meeting.local_start
    return f"{date_format(local, 'l d/m/Y')} à {local:%H:%M}"


def meeting_choice_label(meeting: Meeting, *, now: datetime | None = None) -> str:
    label = f"{meeting.board.name} — {meeting_when(meeting)}"
    if meeting.status == Meeting.Status.PLANNED and not meeting.registrations_open(now):
        label += " (inscriptions closes)"
    elif meeting.status != Meeting.Status.PLANNED:
        label += f" ({meeting.get_status_display()})"
    return label


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching fields (others on the whole form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for name, messages in errors.items():
        form.add_error(name if name in form.fields else None, messages)


class StyledForm(forms.Form):
    """Bootstrap classes on the widgets and one field template (label, help, errors) for every field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return meeting_choice_label(obj)


# --- meetings ---

class MeetingCreateForm(StyledForm):
    """'Nouvelle séance ponctuelle': a date and a time in Europe/Paris, and a place."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(label="Heure (heure de Paris)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    place = forms.CharField(
        label="Lieu", required=False, max_length=200, validators=[no_control_characters],
        help_text="Laisser vide pour le lieu habituel de la RCP.",
    )
    video_url = forms.URLField(
        label="Lien de visioconférence", required=False, max_length=200, assume_scheme="https",
        help_text="Laisser vide pour le lien habituel de la RCP.",
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day.year > timezone.now().year + MAX_YEARS_AHEAD:
            raise ValidationError(f"Une séance se planifie au plus {MAX_YEARS_AHEAD} ans à l'avance.")
        return day

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time") is not None and self.starts_at() <= timezone.now():
            self.add_error("date", "La séance doit avoir lieu dans le futur.")
        return data

    def starts_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"], tzinfo=PARIS)


# --- attendance ---

class GuestForm(StyledForm):
    """A guest typed by name (not in the directory)."""

    prefix = "invite"

    guest_name = forms.CharField(label="Nom de l'invité", max_length=200, validators=[no_control_characters])
    specialty = forms.ChoiceField(
        label="Spécialité", required=False,
        choices=[("", "— spécialité —"), *valuesets.get(valuesets.SPECIALTY).choices()],
    )
    is_doctor = forms.BooleanField(label="Médecin (compte pour le quorum)", required=False, initial=True)


class DirectoryGuestForm(StyledForm):
    """A guest who is a practitioner of the directory: picked among the board's hospitals, or by RPPS."""

    prefix = "annuaire"

    practitioner = PractitionerChoiceField(
        label="Professionnel des établissements de la RCP", required=False, queryset=Practitioner.objects.none(),
        empty_label="— choisir —",
    )
    rpps = forms.CharField(label="ou n° RPPS", required=False, max_length=11)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["practitioner"].queryset = candidates

    def clean(self):
        data = super().clean()
        practitioner, rpps = data.get("practitioner"), (data.get("rpps") or "").strip()
        if practitioner is None and rpps:
            practitioner = Practitioner.objects.filter(rpps=rpps).first() if rpps.isdigit() else None
            if practitioner is None:
                self.add_error("rpps", "Aucun professionnel de l'annuaire n'a ce numéro RPPS.")
        elif practitioner is None and not self.errors:
            raise ValidationError("Choisissez un professionnel ou indiquez son numéro RPPS.")
        data["practitioner"] = practitioner
        return data


# --- registrations ---

class RegistrationFieldsMixin(forms.Form):
    requesting_doctor = PractitionerChoiceField(
        label="Médecin demandeur", queryset=Practitioner.objects.none(), empty_label="— choisir —"
    )
    presenting_doctor = PractitionerChoiceField(
        label="Médecin présentateur", queryset=Practitioner.objects.none(), empty_label="— choisir —"
    )
    question = forms.CharField(
        label="Question posée à la RCP", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "La question posée à la RCP est obligatoire."},
    )
    case_summary = forms.CharField(
        label="Synthèse du cas", required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6})
    )
    complete_file = forms.BooleanField(
        label="Dossier complet (comptes rendus et examens nécessaires disponibles)", required=False
    )
    form_url = forms.ChoiceField(
        label="Formulaire d'organe", required=False,
        help_text="Par défaut, le formulaire de la RCP ; choisissez-en un autre si le cas le demande.",
    )

    def _set_forms(self) -> None:
        from oncodcc.questionnaires.services import catalogue

        self.fields["form_url"].choices = [("", "Formulaire par défaut de la RCP"),
                                           *((q.url, q.title) for q in catalogue())]

    def _set_doctors(self, *keep_ids) -> None:
        for name in ("requesting_doctor", "presenting_doctor"):
            self.fields[name].queryset = practitioners(*keep_ids)


def grouped_meeting_choices(meetings, user) -> list:
    """The meetings of the user's own boards first, then the region's others: a secretary or a doctor finds their
    board's next meeting at the top instead of among every board's meetings."""
    own_boards = set(boards_of(user).values_list("pk", flat=True)) if user is not None else set()
    own, others = [], []
    for meeting in meetings:
        (own if meeting.board_id in own_boards else others).append((meeting.pk, meeting_choice_label(meeting)))
    groups = [(label, choices) for label, choices in (("Séances de mes RCP", own), ("Autres RCP de la région", others))
              if choices]
    return [("", "— choisir une séance —"), *groups]


class RegistrationForm(StyledForm, RegistrationFieldsMixin):
    meeting = MeetingChoiceField(label="Séance", queryset=Meeting.objects.none(), empty_label="— choisir une séance —",
                                 widget=Picker)

    field_order = ["meeting", "requesting_doctor", "presenting_doctor", "question", "case_summary", "complete_file",
                   "form_url"]

    def __init__(self, *args, preselected_meeting: Meeting | None = None, user=None, outside_relations=False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self._set_forms()
        if outside_relations:
            # Registering opens the record to the board: break-the-glass, with a reason the DPO reads.
            self.fields["outside_relations_reason"] = forms.CharField(
                label="Motif de l'inscription (bris de glace)", max_length=1000, required=False,
                validators=[no_control_characters],
                help_text="Ce patient ne fait pas partie de vos dossiers. Au moins 15 caractères : cette "
                          "justification est conservée et lue par le DPO.",
                widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
            )
        now = timezone.now()
        listed = Q(status=Meeting.Status.PLANNED, board__active=True, starts_at__gte=now,
                   starts_at__lte=now + timedelta(days=REGISTRATION_HORIZON_DAYS))
        if preselected_meeting is not None:
            listed |= Q(pk=preselected_meeting.pk)
            self.fields["meeting"].initial = preselected_meeting.pk
        meetings = Meeting.objects.filter(listed).select_related("board").order_by("starts_at", "board__name", "pk")
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].choices = grouped_meeting_choices(meetings, user)
        own = getattr(user, "practitioner_id", None)
        self._set_doctors(own)
        if own:
            self.fields["requesting_doctor"].initial = own
            self.fields["presenting_doctor"].initial = own


class RegistrationEditForm(StyledForm, RegistrationFieldsMixin):
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, registration: Registration, **kwargs):
        kwargs.setdefault("initial", {
            "requesting_doctor": registration.requesting_doctor_id,
            "presenting_doctor": registration.presenting_doctor_id,
            "question": registration.question,
            "case_summary": registration.case_summary,
            "complete_file": registration.complete_file,
            "form_url": registration.form_url,
            "lock_version": registration.lock_version,
        })
        super().__init__(*args, **kwargs)
        self._set_forms()
        self._set_doctors(registration.requesting_doctor_id, registration.presenting_doctor_id)


class MoveForm(StyledForm):
    """Report a case: the same board's next meetings first, then the other boards'."""

    target = forms.ChoiceField(label="Nouvelle séance", choices=())

    def __init__(self, *args, registration: Registration, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        upcoming = (
            Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gte=now, board__active=True)
            .exclude(pk=registration.meeting_id).select_related("board").order_by("starts_at", "board__name", "pk")
        )
        board: Board = registration.meeting.board
        same = list(upcoming.filter(board=board)[:MOVE_SAME_BOARD_LIMIT])
        others = list(upcoming.exclude(board=board).filter(
            starts_at__lte=now + timedelta(days=MOVE_OTHER_BOARDS_HORIZON_DAYS)))
        self.meetings = {m.pk: m for m in [*same, *others]}
        choices: list = [("", "— choisir une séance —")]
        if same:
            choices.append((f"Même RCP — {board.name}", [(m.pk, meeting_choice_label(m, now=now)) for m in same]))
        if others:
            choices.append(("Autres RCP de la région", [(m.pk, meeting_choice_label(m, now=now)) for m in others]))
        self.fields["target"].choices = choices
        if same and not self.is_bound:
            self.fields["target"].initial = same[0].pk

    def clean_target(self) -> Meeting:
        value = self.cleaned_data["target"]
        meeting = self.meetings.get(int(value)) if str(value).isdigit() else None
        if meeting is None:
            raise ValidationError("Choisissez une séance dans la liste.")
        return meeting


class WithdrawForm(StyledForm):
    reason = forms.CharField(
        label="Motif du retrait", max_length=300, validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Indiquez le motif du retrait."},
    )
