"""Identity incidents: refusals of an inbound identity that identity vigilance must know about (issue #9).

The channel refuses the message or resource and its transaction rolls back — nothing it wrote is kept. The
incident is then recorded in a transaction of its own (`record_incident`, or `incidents_recorded()` around the
channel's transaction): an ACCESS_DENIED audit event on the record concerned and, for an INS that arrived with
discordant traits, the incoming identity set aside as a new record flagged DPOT + DOUT for the worklist."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action

from .models import IdentityStatus, Patient

POTENTIAL_DUPLICATE = "DPOT"
DOUBTFUL = "DOUT"  # HL7 table 0445 (FR): identité douteuse
MISMATCH_NOTE = "INS connu avec des traits discordants"


class IdentityError(ValueError):
    """The incoming identity cannot be filed (missing or inconsistent data): French reason for the sender."""


class IdentityIncident(IdentityError):
    """A refusal that identity vigilance must know about. The channel refuses (its transaction rolls back), then
    `record_incident` writes the incident in a transaction of its own: an ACCESS_DENIED event on the record
    concerned (`reason` = the kind of incident). Never carries the record's traits in its message."""

    reason = "identity_incident"

    def __init__(self, message: str, *, actor, organisation, channel: str, patient: Patient,
                 incoming, fields: list[str]):
        super().__init__(message)
        self.actor, self.organisation, self.channel = actor, organisation, channel
        self.patient_pk, self.incoming, self.fields = patient.pk, incoming, fields
        self.recorded = False

    def record(self, **details) -> None:
        audit.record(actor=self.actor, action=Action.ACCESS_DENIED, patient_id=self.patient_pk, reason=self.reason,
                     details={"channel": self.channel, "organisation": getattr(self.organisation, "pk", None),
                              "fields": self.fields, "incoming_status": self.incoming.identity_status or "PROV",
                              **details})


class IdentityMismatch(IdentityIncident):
    """An INS known to the DCC arrived with other strict traits: refused; the incoming identity is set aside as a
    new record flagged DPOT + DOUT (no INS, no IPP) for the identity vigilance worklist."""

    reason = "identity_mismatch"
    set_aside_pk: int | None = None

    def record(self, **details) -> None:
        aside = _set_aside(self)
        self.set_aside_pk = aside.pk if aside else None  # the record the channel filed instead, for its caller
        super().record(set_aside=aside.pk if aside else None, **details)


class ProtectedIdentity(IdentityIncident):
    """A less trusted source tried to change the strict traits of a RECUP/QUAL identity: the update is refused."""

    reason = "identity_update_refused"


def _incident_in(exc: BaseException | None) -> IdentityIncident | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, IdentityIncident):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def record_incident(exc: BaseException) -> IdentityIncident | None:
    """Record the identity incident behind a refusal (in `exc` or its causes), once, in its own transaction.
    Call it after the channel's transaction has rolled back. Returns the incident, if any."""
    incident = _incident_in(exc)
    if incident is not None and not incident.recorded:
        with transaction.atomic():
            incident.record()
        incident.recorded = True
    return incident


@contextmanager
def incidents_recorded() -> Iterator[None]:
    """`with incidents_recorded(), transaction.atomic():` — the incident is written after the rollback."""
    try:
        yield
    except Exception as exc:
        record_incident(exc)
        raise


def _already_set_aside(incident: IdentityIncident) -> Patient | None:
    """The same identity set aside earlier against the same record and not reviewed yet (a sender resending its
    refused message): reused, so that the worklist does not fill up with copies."""
    incoming = incident.incoming
    earlier = Patient.objects.filter(
        birth_name=incoming.birth_name, first_birth_given_name=incoming.first_birth_given_name,
        birth_date=incoming.birth_date, sex=incoming.sex, ins_matricule="", merged_into__isnull=True,
        identity_flags__icontains=f'"{DOUBTFUL}"').filter(identity_flags__icontains=f'"{POTENTIAL_DUPLICATE}"')
    created = AuditEvent.objects.filter(action=Action.PATIENT_CREATE, patient_id__in=earlier.values("pk"),
                                        details__ins_holder=incident.patient_pk).order_by("-id").first()
    return Patient.objects.get(pk=created.patient_id) if created is not None else None


def _set_aside(incident: IdentityIncident) -> Patient | None:
    """The incoming identity as a new record for the worklist: DPOT + DOUT, provisional, no INS (it belongs to the
    other record) and no IPP (nothing opens it to the sender). None when the identity is too incomplete."""
    incoming = incident.incoming
    if incoming.creatable_problems():
        return None
    already = _already_set_aside(incident)
    if already is not None:
        return already
    aside = Patient(
        birth_name=incoming.birth_name, birth_given_names=incoming.birth_given_names,
        first_birth_given_name=incoming.first_birth_given_name, birth_date=incoming.birth_date, sex=incoming.sex,
        birthplace_insee=incoming.birthplace_insee, used_name=incoming.used_name,
        used_given_name=incoming.used_given_name, identity_status=IdentityStatus.PROVISIONAL,
        identity_flags=[POTENTIAL_DUPLICATE, DOUBTFUL],
    )
    try:
        aside.full_clean(exclude=["search_text", "gp", "created_by"], validate_unique=False,
                         validate_constraints=False)
    except ValidationError:
        return None
    aside.save()
    audit.record(actor=incident.actor, action=Action.PATIENT_CREATE, patient=aside, obj=aside,
                 details={"channel": incident.channel, "identity_status": aside.identity_status,
                          "flags": aside.identity_flags, "ipp": False, "identity_vigilance": "set_aside",
                          "note": MISMATCH_NOTE, "ins_holder": incident.patient_pk, "traits": incident.fields})
    return aside
