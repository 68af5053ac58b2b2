"""Identities from hospital systems: IPP, then INS, never traits alone; trust levels; A47; A40 merges."""

from datetime import date

import pytest
from django.db import transaction

from oncodcc.audit.models import AuditEvent
from oncodcc.core.actors import SystemActor
from oncodcc.patients import inbound, merge
from oncodcc.patients.inbound import IdentityError, IdentityMismatch, IncomingIdentity, ProtectedIdentity
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier
from tests import factories as f
from tests import samples

pytestmark = pytest.mark.django_db
BIRTH = date(1961, 4, 12)


@pytest.fixture
def hospital():
    return samples.hospital()


@pytest.fixture
def actor(hospital):
    return SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital)


def incoming(**kw):
    data = {"ipp": "IPP001", "birth_name": "Dupré", "birth_given_names": "Émilie Anne", "birth_date": BIRTH,
            "sex": "F", "birthplace_insee": "75056"}
    return IncomingIdentity(**{**data, **kw})


def test_unknown_identity_creates_the_patient_with_the_ipp(actor, hospital):
    result = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7")
    assert result.how == "created"
    patient = result.patient
    assert patient.first_birth_given_name == "Émilie"
    assert PatientIdentifier.objects.get(patient=patient).value == "IPP001"
    event = AuditEvent.objects.get(action="patient.create", patient_id=patient.pk)
    assert event.actor_label == f"HL7 {hospital}" and event.details["channel"] == "hl7"


def test_known_ipp_updates_traits(actor, hospital):
    first = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7").patient
    again = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(used_name="Martin"), channel="hl7")
    assert again.how == "ipp" and again.patient.pk == first.pk
    assert Patient.objects.get(pk=first.pk).used_name == "Martin"
    assert "used_name" in again.updated_fields


def test_ins_match_attaches_a_second_hospital_ipp(actor, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    one = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(ins_matricule=ins, ins_oid=OID_INS_NIR),
                          channel="hl7").patient
    other = samples.hospital()
    result = inbound.resolve(actor=actor, organisation=other,
                             incoming=incoming(ipp="X-9", ins_matricule=ins, ins_oid=OID_INS_NIR), channel="hl7")
    assert result.how == "ins" and result.patient.pk == one.pk
    assert set(PatientIdentifier.objects.filter(patient=one).values_list("value", flat=True)) == {"IPP001", "X-9"}


def test_traits_alone_never_attach_they_flag_a_potential_duplicate(actor, hospital):
    existing = f.PatientFactory(birth_name="Dupré", first_birth_given_name="Émilie", birth_given_names="Émilie",
                                birth_date=BIRTH, sex="F")
    result = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7")
    assert result.patient.pk != existing.pk
    assert result.how == "created_dpot" and result.patient.identity_flags == ["DPOT"]


def test_qualified_identity_keeps_its_strict_traits_against_a_provisional_one(actor, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    patient = inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
        ins_matricule=ins, ins_oid=OID_INS_NIR, identity_status="QUAL")).patient
    with pytest.raises(ProtectedIdentity, match="qualifiée") as refused:
        inbound.resolve(actor=actor, organisation=hospital, channel="hl7",
                        incoming=incoming(birth_name="Dupres", identity_status="PROV", used_name="Leroy"))
    assert refused.value.fields == ["birth_name"]
    patient.refresh_from_db()
    assert patient.birth_name == "Dupré" and patient.used_name == "" and patient.identity_status == "QUAL"
    # The same traits written differently are no change: accepted, the record keeps its form.
    again = inbound.resolve(actor=actor, organisation=hospital, channel="hl7",
                            incoming=incoming(birth_name="DUPRE", identity_status="PROV", used_name="Leroy"))
    patient.refresh_from_db()
    assert again.updated_fields == ["used_name"] and patient.birth_name == "Dupré"


@pytest.mark.parametrize("record, source, allowed", [
    ("QUAL", "RECUP", False), ("QUAL", "VALI", False), ("QUAL", "QUAL", True),
    ("RECUP", "VALI", False), ("RECUP", "PROV", False), ("RECUP", "RECUP", True), ("RECUP", "QUAL", True),
    ("VALI", "PROV", True), ("PROV", "PROV", True),
])
def test_who_may_change_strict_traits(actor, hospital, record, source, allowed):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    patient = inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
        ins_matricule=ins, ins_oid=OID_INS_NIR, identity_status=record)).patient
    change = incoming(ins_matricule=ins, ins_oid=OID_INS_NIR, birth_given_names="Émilie Rose", identity_status=source)
    if allowed:
        inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=change)
    else:
        with pytest.raises(ProtectedIdentity):
            inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=change)
    patient.refresh_from_db()
    assert (patient.birth_given_names == "Émilie Rose") is allowed


def test_ins_match_needs_agreeing_traits(actor, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    one = inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
        birth_name="D'Aubigné-Dupré", ins_matricule=ins, ins_oid=OID_INS_NIR)).patient
    other = samples.hospital()
    with pytest.raises(IdentityMismatch) as refused:
        inbound.resolve(actor=actor, organisation=other, channel="hl7", incoming=incoming(
            ipp="X-1", birth_name="Durand", ins_matricule=ins, ins_oid=OID_INS_NIR))
    assert refused.value.fields == ["birth_name"] and "Dupré" not in str(refused.value)
    assert not PatientIdentifier.objects.filter(system=other.oid).exists()
    # Apostrophes, hyphens, accents and case are not differences.
    result = inbound.resolve(actor=actor, organisation=other, channel="hl7", incoming=incoming(
        ipp="X-1", birth_name="DAUBIGNE DUPRE", birth_given_names="EMILIE", ins_matricule=ins, ins_oid=OID_INS_NIR))
    assert result.how == "ins" and result.patient.pk == one.pk


def test_ins_alone_is_accepted_only_from_a_hospital_that_knows_the_patient(actor, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    one = inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
        ins_matricule=ins, ins_oid=OID_INS_NIR)).patient
    bare = IncomingIdentity(ipp="Z-1", ins_matricule=ins, ins_oid=OID_INS_NIR)
    with pytest.raises(IdentityError, match="preuve d'identité"):
        inbound.resolve(actor=actor, organisation=samples.hospital(), channel="hl7", incoming=bare, update=False)
    assert inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=bare,
                           update=False).patient.pk == one.pk


def test_incident_is_recorded_once_after_the_rollback(actor, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    one = inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
        ins_matricule=ins, ins_oid=OID_INS_NIR)).patient
    other = samples.hospital()
    with pytest.raises(IdentityMismatch) as refused, inbound.incidents_recorded(), transaction.atomic():
        inbound.resolve(actor=actor, organisation=other, channel="fhir", incoming=incoming(
            ipp="X-1", birth_name="Durand", ins_matricule=ins, ins_oid=OID_INS_NIR))
    assert inbound.record_incident(refused.value) is refused.value  # already recorded: nothing more
    assert AuditEvent.objects.filter(action="patient.access_denied", patient_id=one.pk).count() == 1
    aside = Patient.objects.exclude(pk=one.pk).get()
    assert aside.identity_flags == ["DPOT", "DOUT"] and aside.birth_name == "Durand"


def test_ins_collision_on_a_known_ipp_is_refused(actor, hospital):
    inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
        ins_matricule=samples.nir(sex="F", birth_date=BIRTH), ins_oid=OID_INS_NIR))
    with pytest.raises(IdentityError, match="Collision"):
        inbound.resolve(actor=actor, organisation=hospital, channel="hl7", incoming=incoming(
            ins_matricule=samples.nir(sex="F", birth_date=BIRTH), ins_oid=OID_INS_NIR))


@pytest.mark.parametrize("bad, message", [
    ({"ins_matricule": "261049999999999", "ins_oid": "1.2.3"}, "OID"),
    ({"birth_date": None, "birth_name": ""}, "incomplète"),
    ({"sex": "Z"}, "Sexe"),
    ({"birth_name": "A\x00B"}, "contrôle"),
])
def test_bad_identities_are_refused_with_a_reason(actor, hospital, bad, message):
    with pytest.raises(IdentityError, match=message):
        inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(**bad), channel="hl7")
    assert not Patient.objects.exists()


def test_test_ins_oid_only_in_demo_mode(actor, hospital, settings):
    settings.DEMO_MODE = False
    ins = samples.nir(sex="F", birth_date=BIRTH)
    with pytest.raises(IdentityError):
        inbound.resolve(actor=actor, organisation=hospital, channel="hl7",
                        incoming=incoming(ins_matricule=ins, ins_oid="1.2.250.1.213.1.4.10"))
    settings.DEMO_MODE = True
    assert inbound.resolve(actor=actor, organisation=hospital, channel="hl7",
                           incoming=incoming(ins_matricule=ins, ins_oid="1.2.250.1.213.1.4.10")).created


def test_unknown_patient_without_create(actor, hospital):
    with pytest.raises(Patient.DoesNotExist):
        inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), create=False, channel="hl7")


def test_a47_changes_the_ipp(actor, hospital):
    patient = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7").patient
    inbound.change_identifier(actor=actor, organisation=hospital, old_ipp="IPP001", new_ipp="IPP777", channel="hl7")
    assert PatientIdentifier.objects.get(patient=patient).value == "IPP777"
    with pytest.raises(Patient.DoesNotExist):
        inbound.change_identifier(actor=actor, organisation=hospital, old_ipp="IPP001", new_ipp="IPP8", channel="hl7")


def test_a40_merges_two_records_and_keeps_a_before_image(actor, hospital, registration):
    survivor = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7").patient
    absorbed = registration.patient
    PatientIdentifier.objects.create(patient=absorbed, system=hospital.oid, value="OLD-1", organisation=hospital)
    doctor = f.DoctorFactory()
    CareTeamMember.objects.create(patient=absorbed, practitioner=doctor.practitioner)
    CareTeamMember.objects.create(patient=survivor, practitioner=doctor.practitioner)
    record = merge.merge_identifiers(actor=actor, organisation=hospital, survivor_ipp="IPP001",
                                     absorbed_ipp="OLD-1", survivor=survivor, channel="hl7")
    registration.refresh_from_db()
    absorbed.refresh_from_db()
    assert registration.patient_id == survivor.pk
    assert absorbed.merged_into_id == survivor.pk and {"DOUA", "DESA"} <= set(absorbed.identity_flags)
    assert record.before_image["moved"]["registrations"] == [registration.pk]
    assert record.before_image["dropped_identifier"]["value"] == "OLD-1"
    assert CareTeamMember.objects.filter(patient=survivor).count() == 1
    # The old IPP now leads nowhere; a later message on the absorbed record's other ids follows the merge.
    assert not PatientIdentifier.objects.filter(value="OLD-1").exists()
    assert AuditEvent.objects.filter(action="patient.merge").count() == 2


def test_a40_same_record_retires_the_old_ipp(actor, hospital):
    patient = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7").patient
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="OLD-2", organisation=hospital)
    assert merge.merge_identifiers(actor=actor, organisation=hospital, survivor_ipp="IPP001", absorbed_ipp="OLD-2",
                                   survivor=patient, channel="hl7") is None
    assert list(PatientIdentifier.objects.filter(patient=patient).values_list("value", flat=True)) == ["IPP001"]


def test_merge_refuses_self_circular_and_ins_collisions(actor):
    a, b = f.PatientFactory(), f.PatientFactory()
    with pytest.raises(merge.MergeRefused):
        merge.merge(actor=actor, survivor=a, absorbed=a, reason="test")
    merge.merge(actor=actor, survivor=a, absorbed=b, reason="test")
    with pytest.raises(merge.MergeRefused):
        merge.merge(actor=actor, survivor=b, absorbed=a, reason="test")
    c = f.PatientFactory(ins_matricule=samples.nir(sex="F", birth_date=BIRTH), ins_oid=OID_INS_NIR)
    d = f.PatientFactory(ins_matricule=samples.nir(sex="F", birth_date=BIRTH), ins_oid=OID_INS_NIR)
    with pytest.raises(merge.MergeRefused, match="INS"):
        merge.merge(actor=actor, survivor=c, absorbed=d, reason="test")


def test_every_relation_to_patient_is_handled_by_the_merge():
    """A new foreign key to Patient must say what a merge does with it (MERGE_RELATIONS)."""
    assert set(merge.patient_relations()) == set(merge.MERGE_RELATIONS)


def test_messages_on_an_absorbed_record_follow_the_merge(actor, hospital):
    survivor = inbound.resolve(actor=actor, organisation=hospital, incoming=incoming(), channel="hl7").patient
    other = samples.hospital()
    absorbed = inbound.resolve(actor=actor, organisation=other, incoming=incoming(ipp="B-1", birth_name="Dupret"),
                               channel="hl7").patient
    merge.merge(actor=actor, survivor=survivor, absorbed=absorbed, reason="test")
    again = inbound.resolve(actor=actor, organisation=other, incoming=incoming(ipp="B-1"), channel="hl7")
    assert again.patient.pk == survivor.pk
