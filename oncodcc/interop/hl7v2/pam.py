"""PAM.fr 2.11 identity feed (IHE ITI-30 / ITI-31, HL7 2.5): the DCC keeps patients and their IPPs, nothing about
visits (PV1, ZBE… are ignored).

- A28 create, A31 and A08 update, A01/A04/A05 (the patient is known to the hospital): find (IPP, then INS) or
  create the patient, attach the IPP, apply the hospital's traits (`inbound.resolve`);
- A40 merge: each PID (survivor, with its IPP) is followed by an MRG whose MRG-1 is the absorbed IPP;
- A47 identifier change: MRG-1 old IPP → PID-3 new IPP.

Identity proofs (`inbound`): an INS known to the DCC with other strict traits is refused with AE, ERR-3 = 205
(duplicate key: the INS is another identity's) at PID-3; a change of a RECUP/QUAL identity's strict traits by a
less trusted source with AE, ERR-3 = 206 (record locked) at PID-5. Nothing of the message is kept; the incident is
recorded for identity vigilance by the processing once its transaction has rolled back."""

from oncodcc.patients import inbound
from oncodcc.patients.merge import merge_identifiers
from oncodcc.patients.models import PatientIdentifier

from . import ack, pid
from .processing import Context, Outcome, register

RECORD_LOCKED = "206"  # HL7 table 0357: application record locked (a verified identity's strict traits)


def _pid(context: Context):
    segment = context.message.first("PID")
    if segment is None:
        raise ack.error(ack.SEGMENT_SEQUENCE, "Segment PID absent.", segment="PID")
    return segment


def _require_ipp(identity: inbound.IncomingIdentity, context: Context, segment: str = "PID", field: int = 3) -> None:
    if not identity.ipp:
        raise ack.error(ack.REQUIRED_FIELD_MISSING,
                        f"IPP absent : aucun identifiant de {segment}-{field} n'a pour autorité d'affectation l'OID "
                        f"de l'établissement ({context.organisation.oid}).", segment=segment, field=field)


def _resolve(context: Context, identity: inbound.IncomingIdentity, sequence: int = 1) -> inbound.Resolution:
    try:
        return inbound.resolve(actor=context.actor, organisation=context.organisation, incoming=identity,
                               create=True, update=True, channel="hl7")
    except inbound.IdentityMismatch as exc:
        raise ack.error(ack.DUPLICATE_KEY, str(exc), segment="PID", field=3, sequence=sequence) from exc
    except inbound.ProtectedIdentity as exc:
        raise ack.error(RECORD_LOCKED, str(exc), segment="PID", field=5, sequence=sequence) from exc


@register("ADT", "A28", "A31", "A08", "A01", "A04", "A05")
def identity_feed(context: Context) -> Outcome:
    segment = _pid(context)
    identity = pid.incoming(segment, context.organisation.oid)
    _require_ipp(identity, context)
    return Outcome(patient_id=_resolve(context, identity).patient.pk)


def _old_ipp(context: Context, mrg) -> str:
    """MRG-1: the absorbed IPP, assigned by the sender (an MRG-1 without authority is taken as the sender's)."""
    ipp, _, _ = pid.identifiers(mrg, 1, context.organisation.oid)
    if not ipp:
        reps = mrg.repetitions(1)
        if len(reps) == 1 and not context.message.component(reps[0], 4, 2):
            ipp = context.message.component(reps[0], 1).strip()
    if not ipp:
        raise ack.error(ack.REQUIRED_FIELD_MISSING, "Ancien IPP (MRG-1) absent.", segment="MRG", field=1)
    return ipp


def _pairs(context: Context) -> list:
    """(PID, MRG) pairs in message order (A40 may carry several patient groups)."""
    pairs, current = [], None
    for segment in context.message.segments:
        if segment.name == "PID":
            current = segment
        elif segment.name == "MRG":
            if current is None:
                raise ack.error(ack.SEGMENT_SEQUENCE, "Segment MRG sans segment PID avant lui.", segment="MRG")
            pairs.append((current, segment))
            current = None
    if not pairs:
        what = "PID" if context.message.first("PID") is None else "MRG"
        raise ack.error(ack.SEGMENT_SEQUENCE, f"Segment {what} absent.", segment=what)
    return pairs


@register("ADT", "A40")
def merge(context: Context) -> Outcome:
    """The survivor is resolved from its PID; when only the absorbed IPP is known to the DCC, the record simply
    takes the survivor's IPP (no empty record is created to merge into)."""
    organisation = context.organisation
    outcome = Outcome()
    for number, (segment, mrg) in enumerate(_pairs(context), start=1):
        identity = pid.incoming(segment, organisation.oid)
        _require_ipp(identity, context)
        old_ipp = _old_ipp(context, mrg)
        if old_ipp == identity.ipp:
            raise ack.error(ack.DATA_TYPE_ERROR, "Fusion d'un IPP avec lui-même.", segment="MRG", field=1,
                            sequence=number)
        survivor, _ = inbound.find_patient(organisation=organisation, incoming=identity.cleaned())
        old_known = PatientIdentifier.objects.filter(system=organisation.oid, value=old_ipp).exists()
        if survivor is None and old_known:
            inbound.change_identifier(actor=context.actor, organisation=organisation, old_ipp=old_ipp,
                                      new_ipp=identity.ipp, channel="hl7")
        resolution = _resolve(context, identity, number)
        if survivor is not None or not old_known:
            merge_identifiers(actor=context.actor, organisation=organisation, survivor_ipp=identity.ipp,
                              absorbed_ipp=old_ipp, survivor=resolution.patient, channel="hl7")
        outcome.patient_id = outcome.patient_id or resolution.patient.pk
    return outcome


@register("ADT", "A47")
def change_identifier(context: Context) -> Outcome:
    organisation = context.organisation
    outcome = Outcome()
    for segment, mrg in _pairs(context):
        new_ipp, _, _ = pid.identifiers(segment, 3, organisation.oid)
        if not new_ipp:
            _require_ipp(inbound.IncomingIdentity(), context)
        old_ipp = _old_ipp(context, mrg)
        already = PatientIdentifier.objects.filter(system=organisation.oid, value=new_ipp).first()
        if already is not None and not PatientIdentifier.objects.filter(system=organisation.oid,
                                                                         value=old_ipp).exists():
            # Already renumbered (the same change received again): nothing to do.
            outcome.patient_id = outcome.patient_id or already.patient_id
            continue
        patient = inbound.change_identifier(actor=context.actor, organisation=organisation, old_ipp=old_ipp,
                                            new_ipp=new_ipp, channel="hl7")
        outcome.patient_id = outcome.patient_id or patient.pk
    return outcome
