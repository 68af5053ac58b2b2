"""The closing form: per undiscussed case Reporter / Retirer (with a reason) / Laisser, and the later meeting that
receives the postponed cases (one of the board's planned meetings, or a new one at a date and time)."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from oncodcc.core.validators import no_control_characters

from ..models import PARIS, Meeting, Registration
from ..services.closing import KEEP, POSTPONE, WITHDRAW, Decision
from .organisation import MAX_YEARS_AHEAD, meeting_when

NEW_MEETING = "new"
POSTPONE_ALL = "postpone_all"
CHOICES = [
    (POSTPONE, "Reporter à la séance choisie"),
    (WITHDRAW, "Retirer"),
    (KEEP, "Laisser sur cette séance (fiche à finaliser)"),
]


class ClosingForm(forms.Form):
    target = forms.ChoiceField(label="Séance qui reçoit les dossiers reportés", required=False)
    new_date = forms.DateField(label="Date de la nouvelle séance", required=False,
                               widget=forms.DateInput(attrs={"type": "date", "class": "form-control"},
                                                      format="%Y-%m-%d"))
    new_time = forms.TimeField(label="Heure (heure de Paris)", required=False,
                               widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"},
                                                      format="%H:%M"))

    def __init__(self, *args, meeting: Meeting, cases: list[Registration], later: list[Meeting], **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting, self.cases, self.later = meeting, cases, later
        self.fields["target"].choices = [
            *((str(m.pk), meeting_when(m)) for m in later),
            (NEW_MEETING, "Nouvelle séance de la RCP, à la date ci-dessous"),
        ]
        self.fields["target"].widget.attrs["class"] = "form-select"
        self.initial.setdefault("target", str(later[0].pk) if later else NEW_MEETING)
        self.initial.setdefault("new_time", meeting.board.start_time)
        self.initial.setdefault("new_date", (meeting.local_start + timedelta(days=7)).date())
        for registration in cases:
            # The one-click button postpones every case: the per-case choices are then not needed.
            self.fields[f"case_{registration.pk}"] = forms.ChoiceField(
                label="Décision", choices=CHOICES, initial=POSTPONE, widget=forms.RadioSelect,
                required=not self.postpones_all)
            self.fields[f"reason_{registration.pk}"] = forms.CharField(
                label="Motif du retrait", required=False, max_length=300, validators=[no_control_characters],
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    @property
    def postpones_all(self) -> bool:
        """The one-click button "Reporter tous les cas non discutés" was used."""
        return self.data.get("action") == POSTPONE_ALL

    def rows(self):
        """(registration, decision field, reason field) per case, for the template."""
        return [(r, self[f"case_{r.pk}"], self[f"reason_{r.pk}"]) for r in self.cases]

    def clean(self):
        data = super().clean()
        postponing = self.postpones_all or any(data.get(f"case_{r.pk}") == POSTPONE for r in self.cases)
        if data.get("target") == NEW_MEETING and postponing:
            day, hour = data.get("new_date"), data.get("new_time")
            if day is None or hour is None:
                self.add_error("new_date", "Indiquez la date et l'heure de la nouvelle séance.")
            elif day.year > timezone.now().year + MAX_YEARS_AHEAD:
                self.add_error("new_date", f"Une séance se planifie au plus {MAX_YEARS_AHEAD} ans à l'avance.")
        return data

    def decisions(self) -> dict[int, Decision]:
        if self.postpones_all:
            return {r.pk: Decision(POSTPONE) for r in self.cases}
        return {r.pk: Decision(self.cleaned_data[f"case_{r.pk}"], self.cleaned_data.get(f"reason_{r.pk}") or "")
                for r in self.cases}

    def target_meeting(self) -> Meeting | None:
        value = self.cleaned_data.get("target")
        return next((m for m in self.later if str(m.pk) == value), None)

    def new_target_at(self) -> datetime | None:
        if self.cleaned_data.get("target") != NEW_MEETING:
            return None
        day, hour = self.cleaned_data.get("new_date"), self.cleaned_data.get("new_time")
        if day is None or hour is None:
            return None
        return datetime.combine(day, hour, tzinfo=PARIS)

