"""/fhir/Patient with a hospital's bearer token: create (conditional, same matching rules as HL7), update, read,
search by identifier / names / birth date, FR Core output, refusals (422, 409, 403), audit events."""

from datetime import date

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.patients.merge import merge
from oncodcc.patients.models import IdentityStatus, Patient, PatientIdentifier
from tests import factories as f
from tests import samples

from .conftest import BIRTH, ids, outcome, patient_resource


def create(api, hospital, status=201, **kwargs) -> dict:
    response = api.post("Patient", patient_resource(hospital, **kwargs))
    data = api.ok(response, status)
    if status == 201:
        assert response["Location"] == f"http://testserver/fhir/Patient/{data['id']}"
    return data


def test_create_maps_fr_core_identity_and_is_audited(api, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    data = create(api, hospital, ins=ins, used="Martin", reliability="VALI")
    patient = Patient.objects.get(pk=data["id"])
    assert (patient.birth_name, patient.birth_given_names, patient.first_birth_given_name) == \
        ("Lefèvre", "Hélène Marie", "Hélène")
    assert (patient.used_name, patient.sex, patient.birth_date, patient.birthplace_insee) == \
        ("Martin", "F", BIRTH, "75056")
    assert (patient.ins_matricule, patient.ins_oid) == (ins, "1.2.250.1.213.1.4.8")
    assert patient.identity_status == IdentityStatus.VALIDATED
    assert PatientIdentifier.objects.get(patient=patient).value == "IPP-1"
    # Output: INS typed INS-NIR, the IPP typed PI under the hospital's OID, official + usual names.
    ins_id = next(i for i in data["identifier"] if i["system"] == "urn:oid:1.2.250.1.213.1.4.8")
    assert ins_id["type"]["coding"][0]["code"] == "INS-NIR" and ins_id["value"] == ins
    ipp = next(i for i in data["identifier"] if i["system"] == f"urn:oid:{hospital.oid}")
    assert ipp["value"] == "IPP-1" and ipp["type"]["coding"][0]["code"] == "PI"
    assert ipp["assigner"]["reference"] == f"Organization/{hospital.pk}"
    official = next(n for n in data["name"] if n["use"] == "official")
    assert official["family"] == "Lefèvre" and official["given"] == ["Hélène"]
    assert official["extension"][0]["valueString"] == "Hélène Marie"
    assert next(n for n in data["name"] if n["use"] == "usual")["family"] == "Martin"
    assert data["gender"] == "female" and data["birthDate"] == BIRTH.isoformat() and data["active"] is True
    reliability = next(e for e in data["extension"] if e["url"].endswith("fr-core-identity-reliability"))
    assert reliability["extension"][0]["valueCoding"]["code"] == "VALI"
    birthplace = next(e for e in data["extension"] if e["url"].endswith("patient-birthPlace"))
    assert birthplace["valueAddress"]["extension"][0]["valueCoding"]["code"] == "75056"
    write = AuditEvent.objects.get(action=Action.FHIR_WRITE, patient_id=patient.pk)
    assert write.actor_role == "api_client" and write.actor_label.startswith("client API")
    assert write.details["client"] == api.client_obj.client_id and write.details["interaction"] == "create"
    assert AuditEvent.objects.filter(action=Action.PATIENT_CREATE, patient_id=patient.pk).exists()


def test_create_is_conditional_on_ipp_then_ins(api, hospital, make_api, other_hospital):
    first = create(api, hospital)
    again = create(api, hospital, status=200, given="Autre")  # same IPP: the existing record, unchanged
    assert again["id"] == first["id"] and Patient.objects.get(pk=first["id"]).first_birth_given_name == "Hélène"
    ins = samples.nir(sex="M", birth_date=date(1950, 2, 3))
    by_ins = create(api, hospital, ipp="IPP-2", family="Durand", given="Paul", sex="male",
                    birth=date(1950, 2, 3), ins=ins)
    other = make_api(other_hospital)
    matched = create(other, other_hospital, status=200, ipp="B-77", family="Durand", given="Paul", sex="male",
                     birth=date(1950, 2, 3), ins=ins)
    assert matched["id"] == by_ins["id"]
    assert set(PatientIdentifier.objects.filter(patient_id=by_ins["id"]).values_list("value", flat=True)) == \
        {"IPP-2", "B-77"}
    # Traits alone never attach: a new record flagged as a potential duplicate.
    twin = create(api, hospital, ipp="IPP-3")
    assert twin["id"] != first["id"]
    assert "DPOT" in Patient.objects.get(pk=twin["id"]).identity_flags
    comment = next(e for e in twin["extension"] if e["url"].endswith("identity-reliability"))["extension"]
    assert {"url": "comment", "valueCoding": {"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445",
                                              "code": "DPOT"}} in comment


def test_update_applies_the_hospital_traits(api, hospital):
    created = create(api, hospital)
    resource = patient_resource(hospital, used="Bernard", given="Hélène Marie Rose")
    resource["id"] = created["id"]
    response = api.put(f"Patient/{created['id']}", resource)
    data = api.ok(response)
    patient = Patient.objects.get(pk=created["id"])
    assert patient.used_name == "Bernard" and patient.birth_given_names == "Hélène Marie Rose"
    assert next(n for n in data["name"] if n["use"] == "usual")["family"] == "Bernard"
    event = AuditEvent.objects.filter(action=Action.FHIR_WRITE, patient_id=patient.pk).latest("id")
    assert event.details["interaction"] == "update" and "used_name" in event.details["fields"]


def test_update_refusals(api, hospital, make_api):
    created = create(api, hospital)
    other = create(api, hospital, ipp="IPP-9", family="Autre", given="Jean", sex="male")
    resource = patient_resource(hospital)
    outcome(api.put(f"Patient/{created['id']}", resource), 400, "invalid")  # no id in the body
    resource["id"] = other["id"]
    outcome(api.put(f"Patient/{other['id']}", resource), 409, "conflict")  # IPP-1 designates another record
    resource = patient_resource(hospital, ipp="INCONNU")
    resource["id"] = created["id"]
    outcome(api.put(f"Patient/{created['id']}", resource), 422, "not-found")
    outcome(api.put("Patient/999999", {**resource, "id": "999999"}), 404, "not-found")
    regional = make_api(None, "system/Patient.read")
    outcome(regional.put(f"Patient/{created['id']}", {**resource, "id": created["id"]}), 403, "forbidden")


def test_identity_errors_are_422_and_write_nothing(api, hospital):
    before = Patient.objects.count()
    cases = [
        patient_resource(hospital, ipp=""),  # no IPP of the hospital
        {**patient_resource(hospital), "name": []},  # incomplete identity
        {**patient_resource(hospital), "birthDate": "1961"},  # partial birth date
        patient_resource(hospital, birthplace="ABCDE"),
        {**patient_resource(hospital), "identifier": [{"system": f"urn:oid:{hospital.oid}", "value": "A"},
                                                     {"system": f"urn:oid:{hospital.oid}", "value": "B"}]},
        {**patient_resource(hospital), "identifier": [{"system": f"urn:oid:{hospital.oid}", "value": "A"},
                                                     {"system": "urn:oid:1.2.250.1.213.1.4.99", "value": "1"}]},
        patient_resource(hospital, family="A\x00B"),
    ]
    for resource in cases:
        outcome(api.post("Patient", resource), 422)
    assert Patient.objects.count() == before
    assert not AuditEvent.objects.filter(action=Action.FHIR_WRITE).exists()


def test_an_ins_that_fails_its_checks_is_set_aside_with_a_warning(api, hospital):
    """Refuse less, file more (issue 15): 201, the record filed without the INS, an OperationOutcome warning."""
    for n, ins in enumerate(["123", samples.nir(sex="M", birth_date=BIRTH)]):  # bad key; a man's INS for a woman
        response = api.post("Patient", patient_resource(hospital, ipp=f"W{n}", ins=ins))
        body = api.ok(response, 201)
        assert body["resourceType"] == "OperationOutcome"
        [issue] = body["issue"]
        assert issue["severity"] == "warning" and "sans ce matricule INS" in issue["diagnostics"]
        patient = Patient.objects.get(identifiers__value=f"W{n}")
        assert response["Location"] == f"http://testserver/fhir/Patient/{patient.pk}"
        assert patient.ins_matricule == "" and {"DPOT", "DOUT"} <= set(patient.identity_flags)


def test_malformed_bodies_are_400_or_415(api, hospital):
    outcome(api.post("Patient", b"{not json"), 400, "invalid")
    outcome(api.post("Patient", b"[]"), 400, "invalid")
    outcome(api.post("Patient", {"resourceType": "Practitioner"}), 400, "invalid")
    outcome(api.post("Patient", {"resourceType": "Patient", "gender": "femme"}), 400, "invalid")
    outcome(api.post("Patient", {"resourceType": "Patient", "champ": 1}), 400, "invalid")
    outcome(api.post("Patient", b"<Patient/>", content_type="application/fhir+xml"), 415, "not-supported")


def test_read_and_search(api, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    helene = create(api, hospital, ins=ins, used="Martin")
    paul = create(api, hospital, ipp="IPP-2", family="Durand", given="Paul", sex="male", birth=date(1950, 2, 3))
    assert api.read(f"Patient/{helene['id']}")["id"] == helene["id"]
    oid = hospital.oid

    def found(params):
        return ids(api.search("Patient", params))

    assert found({"identifier": f"urn:oid:{oid}|IPP-2"}) == [paul["id"]]
    assert found({"identifier": f"urn:oid:1.2.250.1.213.1.4.8|{ins}"}) == [helene["id"]]
    assert found({"identifier": "IPP-1"}) == [helene["id"]]
    assert found({"identifier": f"urn:oid:{oid}|"}) == [paul["id"], helene["id"]]
    assert found({"identifier": "urn:oid:1.2.250.1.213.1.4.8|000"}) == []
    assert found({"family": "lefevre"}) == [helene["id"]]
    assert found({"family": "MART"}) == [helene["id"]], "used name"
    assert found({"family": "efev"}) == [] and found({"family:contains": "efev"}) == [helene["id"]]
    assert found({"family:exact": "Lefèvre"}) == [helene["id"]] and found({"family:exact": "lefèvre"}) == []
    assert found({"given": "marie"}) == [helene["id"]], "any birth given name"
    assert found({"name": "paul"}) == [paul["id"]]
    assert found({"family": "durand,lefevre"}) == [paul["id"], helene["id"]]
    assert found({"birthdate": "1961-04-17"}) == [helene["id"]]
    assert found({"birthdate": "1961"}) == [helene["id"]]
    assert found({"birthdate": "ge1955-01-01"}) == [helene["id"]]
    assert found({"birthdate": "le1955-01-01"}) == [paul["id"]]
    assert found({"birthdate": ["ge1940", "lt1951"]}) == [paul["id"]]
    assert found({"gender": "male"}) == [paul["id"]]
    assert found({"_id": helene["id"]}) == [helene["id"]]
    assert found({"family": "lefevre", "birthdate": "1950-02-03"}) == []
    for bad in ({"birthdate": "17/04/1961"}, {"birthdate": "1961-13-01"}, {"family:below": "x"},
                {"address": "Paris"}, {"_sort": "family"}):
        outcome(api.get("Patient", bad), 400)


def test_search_is_paged_and_audited_once_per_page(api, hospital):
    created = [create(api, hospital, ipp=f"P{n}", family=f"Nom{n}", given="Anne") for n in range(5)]
    AuditEvent.objects.filter(action=Action.FHIR_READ).delete()
    first = api.search("Patient", {"given": "anne", "_count": "2"})
    assert first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "_count=2" in links["next"] and "given=anne" in links["next"] and "previous" not in links
    seen = ids(first)
    url = links["next"]
    while url:
        page = api.ok(api.client.get(url.replace("http://testserver", ""), headers=api.headers()))
        seen += ids(page)
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert sorted(seen) == sorted(p["id"] for p in created)
    events = list(AuditEvent.objects.filter(action=Action.FHIR_READ).order_by("id"))
    assert len(events) == 5, "one event per patient shown"
    assert sorted(str(e.patient_id) for e in events) == sorted(p["id"] for p in created)
    assert events[0].details["client"] == api.client_obj.client_id


def test_merged_record_is_inactive_with_a_replaced_by_link(make_api, hospital, db):
    regional = make_api(None, "system/Patient.read")
    survivor, absorbed = f.PatientFactory(), f.PatientFactory()
    merge(actor=f.UserFactory(role="admin_dsrc"), survivor=survivor, absorbed=absorbed, reason="Doublon avéré")
    data = regional.read(f"Patient/{absorbed.pk}")
    assert data["active"] is False
    assert data["link"] == [{"other": {"reference": f"Patient/{survivor.pk}"}, "type": "replaced-by"}]


def test_test_ins_oid_only_in_demo_mode(api, hospital, settings):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    resource = patient_resource(hospital)
    resource["identifier"].append({"system": "urn:oid:1.2.250.1.213.1.4.10", "value": ins})
    settings.DEMO_MODE = False
    outcome(api.post("Patient", resource), 422, "processing")
    settings.DEMO_MODE = True
    data = api.ok(api.post("Patient", resource), 201)
    test_id = next(i for i in data["identifier"] if i["system"] == "urn:oid:1.2.250.1.213.1.4.10")
    assert test_id["type"]["coding"][0]["code"] == "INS-NIR-TEST"
    assert ids(api.search("Patient", {"identifier": f"urn:oid:1.2.250.1.213.1.4.10|{ins}"})) == [data["id"]]
