"""PAM.fr identities through handle_message: bytes in, ACK bytes out, the patient record checked."""

from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient, PatientIdentifier, PatientMerge
from tests import samples

from . import messages as m

pytestmark = pytest.mark.django_db
BIRTH = date(1971, 3, 9)


def identity(hospital, ipp="IPP-1001", **overrides):
    values = dict(ipp=ipp, oid=hospital.oid, birth_name="LÉVÊQUE", given="Anaïs Bérénice", birth_date=BIRTH,
                  sex="F", birthplace="69123", status="VALI")
    return m.pid(**{**values, **overrides})


def test_a28_creates_the_patient_with_ipp_ins_and_traits(sender, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    answer = handle_message(m.adt("A28", identity(hospital, ins=ins, used_name="MARTIN-ÉCHAUDÉ",
                                                    used_given="Bérénice")))

    assert m.ack_code(answer) == "AA"
    ack = m.parse_ack(answer)
    assert str(ack.segment("MSH")[9]) == "ACK^A28^ACK"
    assert str(ack.segment("MSH")[5]) == m.APP and str(ack.segment("MSH")[6]) == m.FACILITY
    patient = Patient.objects.get()
    assert (patient.birth_name, patient.birth_given_names, patient.first_birth_given_name) == (
        "LÉVÊQUE", "Anaïs Bérénice", "Anaïs")
    assert (patient.used_name, patient.used_given_name) == ("MARTIN-ÉCHAUDÉ", "Bérénice")
    assert (patient.birth_date, patient.sex, patient.birthplace_insee) == (BIRTH, "F", "69123")
    assert (patient.ins_matricule, patient.identity_status) == (ins, "VALI")
    assert PatientIdentifier.objects.get(patient=patient).value == "IPP-1001"
    row = Hl7Message.objects.get()
    assert (row.state, row.ack_code, row.patient_id, row.message_type) == ("accepted", "AA", patient.pk, "ADT^A28")
    assert bytes(row.ack) == answer
    assert AuditEvent.objects.filter(action="hl7.message", patient_id=patient.pk).exists()


def test_iso_8859_1_message_round_trips_accents(sender, hospital):
    answer = handle_message(m.adt("A28", identity(hospital, birth_name="NOËL-GRÂCE", given="Zoé Hélène"),
                                  charset="8859/1"))

    assert m.ack_code(answer, "iso-8859-1") == "AA"
    assert str(m.parse_ack(answer, "iso-8859-1").segment("MSH")[18]) == "8859/1"
    patient = Patient.objects.get()
    assert (patient.birth_name, patient.birth_given_names) == ("NOËL-GRÂCE", "Zoé Hélène")
    assert Hl7Message.objects.get().encoding == "iso-8859-1"


def test_latin1_bytes_without_charset_fall_back_and_are_noted(sender, hospital):
    text = m.adt("A28", identity(hospital, birth_name="BÉRAUD"), charset="").decode()
    answer = handle_message(text.encode("iso-8859-1"))

    assert m.ack_code(answer, "iso-8859-1") == "AA"
    assert Patient.objects.get().birth_name == "BÉRAUD"
    row = Hl7Message.objects.get()
    assert row.encoding == "iso-8859-1" and "ISO 8859-1" in row.notes


def test_escape_sequences_are_decoded(sender, hospital):
    # \S\ is the component separator, \T\ the sub-component one, \XC389\ is "É" in UTF-8, \X20\ a space.
    answer = handle_message(m.adt("A28", identity(hospital, birth_name="D\\XC389\\ON\\T\\FILS",
                                                    given="Anne\\X20\\Lise")))

    assert m.ack_code(answer) == "AA"
    patient = Patient.objects.get()
    assert (patient.birth_name, patient.birth_given_names) == ("DÉON&FILS", "Anne Lise")


def test_legacy_xpn3_with_other_given_names_is_appended(sender, hospital):
    handle_message(m.adt("A28", identity(hospital, given="Marie Louise", first="Jeanne")))

    patient = Patient.objects.get()
    assert (patient.first_birth_given_name, patient.birth_given_names) == ("Jeanne", "Jeanne Marie Louise")


@pytest.mark.parametrize("event", ["A31", "A08"])
def test_update_events_change_the_traits(sender, hospital, event):
    handle_message(m.adt("A28", identity(hospital)))
    answer = handle_message(m.adt(event, identity(hospital, used_name="DURAND", used_given="Anaïs",
                                                    death="20261101")))

    assert m.ack_code(answer) == "AA"
    patient = Patient.objects.get()
    assert (patient.used_name, patient.deceased_date) == ("DURAND", date(2026, 11, 1))


@pytest.mark.parametrize("event", ["A01", "A04", "A05"])
def test_visit_events_resolve_and_attach_the_ipp(sender, hospital, event):
    ins = samples.nir(sex="M", birth_date=date(1960, 1, 2))
    known = Patient.objects.create(birth_name="ROUSSEAU", birth_given_names="Marc", first_birth_given_name="Marc",
                                   birth_date=date(1960, 1, 2), sex="M", ins_matricule=ins,
                                   ins_oid="1.2.250.1.213.1.4.8")
    answer = handle_message(m.adt(event, m.pid(ipp="IPP-77", oid=hospital.oid, ins=ins, birth_name="ROUSSEAU",
                                               given="Marc", birth_date=date(1960, 1, 2), sex="M")))

    assert m.ack_code(answer) == "AA"
    assert Patient.objects.count() == 1
    assert PatientIdentifier.objects.get(system=hospital.oid).patient == known
    assert Hl7Message.objects.get().patient_id == known.pk


def test_a40_merges_the_absorbed_ipp_record_into_the_survivor(sender, hospital):
    handle_message(m.adt("A28", identity(hospital, ipp="IPP-OLD")))
    handle_message(m.adt("A28", identity(hospital, ipp="IPP-NEW", given="Anaïs")))
    assert Patient.objects.count() == 2
    survivor = PatientIdentifier.objects.get(value="IPP-NEW").patient

    answer = handle_message(m.adt("A40", identity(hospital, ipp="IPP-NEW"), m.mrg("IPP-OLD", hospital.oid)))

    assert m.ack_code(answer) == "AA", m.ack_text(answer)
    merge = PatientMerge.objects.get()
    assert merge.survivor_id == survivor.pk
    absorbed = Patient.objects.exclude(pk=survivor.pk).get()
    assert absorbed.merged_into_id == survivor.pk


def test_a40_with_only_the_old_ipp_known_renumbers_the_record(sender, hospital):
    handle_message(m.adt("A28", identity(hospital, ipp="IPP-OLD")))

    answer = handle_message(m.adt("A40", identity(hospital, ipp="IPP-NEW"), m.mrg("IPP-OLD", hospital.oid)))

    assert m.ack_code(answer) == "AA"
    assert Patient.objects.count() == 1
    assert list(PatientIdentifier.objects.values_list("value", flat=True)) == ["IPP-NEW"]


def test_a47_changes_the_ipp(sender, hospital):
    handle_message(m.adt("A28", identity(hospital, ipp="IPP-A")))

    answer = handle_message(m.adt("A47", m.pid(ipp="IPP-B", oid=hospital.oid), m.mrg("IPP-A", hospital.oid)))

    assert m.ack_code(answer) == "AA"
    assert list(PatientIdentifier.objects.values_list("value", flat=True)) == ["IPP-B"]
    # The same change received again (another control id) is harmless.
    again = handle_message(m.adt("A47", m.pid(ipp="IPP-B", oid=hospital.oid), m.mrg("IPP-A", hospital.oid)))
    assert m.ack_code(again) == "AA"


def test_a47_unknown_old_ipp_is_an_error(sender, hospital):
    answer = handle_message(m.adt("A47", m.pid(ipp="IPP-B", oid=hospital.oid), m.mrg("IPP-X", hospital.oid)))

    assert m.ack_code(answer) == "AE"
    assert "204" in str(m.parse_ack(answer).segment("ERR")[3])


def test_missing_pid_is_ae_with_err(sender):
    answer = handle_message(m.join(m.msh("ADT^A28^ADT_A05"), "EVN||20261121103000"))

    assert m.ack_code(answer) == "AE"
    err = m.parse_ack(answer).segment("ERR")
    assert str(err[2]) == "PID^1" and str(err[3]).startswith("100^") and str(err[4]) == "E"
    assert m.ack_text(answer) == "Segment PID absent."
    assert Hl7Message.objects.get().state == "error"


def test_ipp_of_another_authority_is_missing_ipp(sender, hospital):
    answer = handle_message(m.adt("A28", identity(hospital, ipp="", extra_ids=("999^^^AUTRE&1.2.3.4&ISO^PI",))))

    assert m.ack_code(answer) == "AE"
    assert "IPP absent" in m.ack_text(answer)
    assert str(m.parse_ack(answer).segment("ERR")[2]) == "PID^1^3"
    assert not Patient.objects.exists()


@pytest.mark.parametrize(("field", "value", "code"), [("birth_date", "19710230", "102"), ("sex", "X", "103")])
def test_bad_traits_are_ae(sender, hospital, field, value, code):
    text = identity(hospital)
    if field == "birth_date":
        text = text.replace("19710309", value)
    else:
        text = text.replace("|19710309|F|", f"|19710309|{value}|")
    answer = handle_message(m.adt("A28", text))

    assert m.ack_code(answer) == "AE"
    assert str(m.parse_ack(answer).segment("ERR")[3]).startswith(code)


def test_incomplete_identity_is_ae_with_the_inbound_reason(sender, hospital):
    answer = handle_message(m.adt("A28", m.pid(ipp="IPP-9", oid=hospital.oid, birth_name="SANS-DATE", given="Léa")))

    assert m.ack_code(answer) == "AE"
    assert "date de naissance" in m.ack_text(answer)
    assert not Patient.objects.exists()


def test_unknown_sender_is_ar_and_logged(hospital):
    answer = handle_message(m.adt("A28", identity(hospital), app="INCONNU"))

    assert m.ack_code(answer) == "AR"
    assert m.ack_text(answer) == ("Émetteur inconnu : INCONNU/CHU-TEST — à enregistrer par l'administrateur")
    row = Hl7Message.objects.get()
    assert (row.state, row.sender, row.sending_application) == ("rejected", None, "INCONNU")
    assert not Patient.objects.exists()


def test_inactive_sender_is_unknown(sender, hospital):
    sender.active = False
    sender.save()
    assert m.ack_code(handle_message(m.adt("A28", identity(hospital)))) == "AR"


@pytest.mark.parametrize(("message_type", "code"), [("ADT^A99^ADT_A01", "201"), ("SIU^S12^SIU_S12", "200"),
                                                    ("ORM^O01^ORM_O01", "200")])
def test_unsupported_type_or_event_is_ar(sender, hospital, message_type, code):
    answer = handle_message(m.join(m.msh(message_type), identity(hospital)))

    assert m.ack_code(answer) == "AR"
    err = m.parse_ack(answer).segment("ERR")
    assert str(err[3]).startswith(code) and str(err[2]) == "MSH^1^9"


def test_custom_separators_are_honoured(sender, hospital):
    text = m.adt("A28", identity(hospital)).decode()
    custom = text.replace("|", "#").replace("^", "$").replace("~", "@").replace("&", "%")
    answer = handle_message(custom.encode())

    assert answer.startswith(b"MSH#$@\\%#ONCODCC#")
    assert answer.split(b"\r")[1].startswith(b"MSA#AA#")
    assert Patient.objects.get().birth_name == "LÉVÊQUE"


def test_control_characters_in_a_refused_value_are_not_stored(sender, hospital):
    answer = handle_message(m.adt("A28", identity(hospital).replace("|19710309|F|", "|19710309|\x00\x07|")))

    assert m.ack_code(answer) == "AE"
    row = Hl7Message.objects.get()
    assert row.error.startswith("Sexe inconnu") and "\x00" not in row.error and "\x07" not in row.error


def test_a40_with_two_patient_groups(sender, hospital):
    for ipp, given in (("IPP-A1", "Anaïs"), ("IPP-A2", "Anaïs Bérénice"), ("IPP-B1", "Zoé"), ("IPP-B2", "Zoé Lou")):
        handle_message(m.adt("A28", identity(hospital, ipp=ipp, given=given)))

    answer = handle_message(m.adt("A40", identity(hospital, ipp="IPP-A1"), m.mrg("IPP-A2", hospital.oid),
                                  identity(hospital, ipp="IPP-B1", given="Zoé"), m.mrg("IPP-B2", hospital.oid)))

    assert m.ack_code(answer) == "AA", m.ack_text(answer)
    assert PatientMerge.objects.count() == 2
    assert Patient.objects.filter(merged_into__isnull=True).count() == 2


def test_mrg_without_pid_is_ae(sender, hospital):
    answer = handle_message(m.join(m.msh("ADT^A40^ADT_A39"), "EVN||20261121", m.mrg("IPP-1", hospital.oid)))

    assert m.ack_code(answer) == "AE"
    assert str(m.parse_ack(answer).segment("ERR")[2]) == "MRG^1"
