"""Quorum: at least 3 doctors of different specialties present (HAS 2014)."""

from dataclasses import dataclass

from oncodcc.terminology import valuesets

from .models import QUORUM_MIN_SPECIALTIES, Attendance, Meeting


@dataclass(frozen=True)
class Quorum:
    reached: bool
    doctors: int
    specialties: tuple[str, ...]  # codes, sorted

    @property
    def status_code(self) -> str:
        return valuesets.QUORUM_REACHED if self.reached else valuesets.QUORUM_NOT_REACHED

    @property
    def specialty_labels(self) -> list[str]:
        return [valuesets.label(valuesets.SPECIALTY, code) for code in self.specialties]

    @property
    def missing(self) -> int:
        return max(0, QUORUM_MIN_SPECIALTIES - len(self.specialties))


def attendance_specialty(attendance: Attendance) -> str:
    if attendance.specialty:
        return attendance.specialty
    return attendance.practitioner.specialty if attendance.practitioner_id else ""


def compute(attendances: list[Attendance]) -> Quorum:
    doctors = [a for a in attendances if a.is_doctor]
    specialties = sorted({s for s in (attendance_specialty(a) for a in doctors) if s})
    return Quorum(
        reached=len(specialties) >= QUORUM_MIN_SPECIALTIES, doctors=len(doctors), specialties=tuple(specialties)
    )


def for_meeting(meeting: Meeting) -> Quorum:
    return compute(list(meeting.attendances.select_related("practitioner")))
