"""/fhir/: metadata, Questionnaire search and read, QuestionnaireResponse by patient (access rules, audit), and
the errors as OperationOutcome. Every resource returned is validated with fhir.resources (R4B)."""

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.models import Questionnaire
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.services import fiches
from tests import factories as f

FHIR_JSON = "application/fhir+json; charset=utf-8"
SEIN = "urn:oncodcc:questionnaire:sein"
RESOURCE_CLASSES = {"Questionnaire": FhirQuestionnaire, "QuestionnaireResponse": QuestionnaireResponse}


# --- helpers ---

def fhir_get(client, path, params=None, **headers):
    response = client.get(path, params or {}, headers=headers)
    assert response["Content-Type"] == FHIR_JSON, (response.status_code, response.content[:300])
    return response


def outcome(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content.decode()[:500]
    assert response["Content-Type"] == FHIR_JSON
    data = response.json()
    OperationOutcome.model_validate(data)
    issue = data["issue"][0]
    assert (issue["severity"], issue["code"]) == ("error", code)
    assert issue["diagnostics"]
    return issue["diagnostics"]


def searchset(response) -> dict:
    assert response.status_code == 200, response.content.decode()[:1000]
    data = response.json()
    Bundle.model_validate(data)
    assert data["type"] == "searchset"
    for entry in data.get("entry", []):
        resource = entry["resource"]
        RESOURCE_CLASSES[resource["resourceType"]].model_validate(resource)
        assert entry["search"] == {"mode": "match"}
        assert entry["fullUrl"] == f"http://testserver/fhir/{resource['resourceType']}/{resource['id']}"
    return data


def link(bundle: dict, relation: str) -> str | None:
    return next((item["url"] for item in bundle["link"] if item["relation"] == relation), None)


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def follow(client, url: str):
    parts = urlsplit(url)
    assert parts.netloc == "testserver"
    return client.get(f"{parts.path}?{parts.query}")


def fhir_events(**filters):
    return AuditEvent.objects.filter(action=Action.FHIR_READ, **filters)


# --- fixtures ---

@pytest.fixture
def forms(db):
    call_command("forms", "load", stdout=StringIO())
    assert Questionnaire.objects.filter(url=SEIN, version="1.0.0").exists()
    return Questionnaire.objects.count()


@pytest.fixture
def user_client(forms, outsider):
    """Any signed-in user reads the forms (they are not patient data)."""
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def member_client(member_doctor):
    client = Client()
    client.force_login(member_doctor)
    return client


@pytest.fixture
def fiche(forms, registration, member_doctor):
    """A draft fiche whose organ answers (the board's breast form) hold one answer."""
    fiche = fiches.start(actor=member_doctor, registration=registration)
    record = organ_forms.start_for(fiche)
    questionnaire = record.questionnaire
    item = next(i for i in questionnaire.form.walk() if i.type == "choice" and not i.enable_when and not i.repeats)
    organ_forms.store(fiche, questionnaire, {item.link_id: item.options[0]})
    fiche.answered_link_id = item.link_id
    return fiche


# --- metadata ---

def test_metadata_is_public_and_a_valid_capability_statement(db):
    response = fhir_get(Client(), "/fhir/metadata")
    assert response.status_code == 200
    data = response.json()
    CapabilityStatement.model_validate(data)
    assert data["fhirVersion"] == "4.0.1" and data["kind"] == "instance" and "json" in data["format"]
    rest = data["rest"][0]
    assert rest["mode"] == "server"
    resources = {r["type"]: r for r in rest["resource"]}
    assert {"Questionnaire", "QuestionnaireResponse"} <= set(resources)  # the others: test_capability.py
    for resource in (resources["Questionnaire"], resources["QuestionnaireResponse"]):
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
    assert {"url", "version", "status", "name", "title"} <= {p["name"] for p in resources["Questionnaire"]["searchParam"]}
    assert {"subject", "patient", "questionnaire", "status"} <= {
        p["name"] for p in resources["QuestionnaireResponse"]["searchParam"]}
    assert data["implementation"]["url"] == "http://testserver/fhir/"


# --- Questionnaire ---

def test_unauthenticated_gets_401_outcome_not_a_redirect(forms):
    client = Client()
    for path in ("/fhir/Questionnaire", "/fhir/Questionnaire/sein-1-0-0", "/fhir/QuestionnaireResponse?subject=1",
                 "/fhir/QuestionnaireResponse/fiche-1"):
        outcome(client.get(path), 401, "login")


def test_search_lists_every_published_version(user_client, forms):
    bundle = searchset(fhir_get(user_client, "/fhir/Questionnaire"))
    assert bundle["total"] == forms == len(bundle["entry"])
    assert "sein-1-0-0" in ids(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert re.match(r"^[a-z0-9-]+-\d+-\d+-\d+$", resource["id"])
        assert resource["id"] == f"{resource['url'].rsplit(':', 1)[-1]}-{resource['version'].replace('.', '-')}"
        assert resource["meta"]["lastUpdated"].endswith("Z")
    assert link(bundle, "self").startswith("http://testserver/fhir/Questionnaire?")
    assert link(bundle, "next") is None


def test_search_by_url_and_canonical(user_client, forms):
    bundle = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"url": SEIN}))
    assert ids(bundle) == ["sein-1-0-0"] and bundle["total"] == 1
    assert ids(searchset(fhir_get(user_client, "/fhir/Questionnaire", {"url": f"{SEIN}|1.0.0"}))) == ["sein-1-0-0"]
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"url": f"{SEIN}|9.9.9"}))["total"] == 0
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"url": SEIN[:-1]}))["total"] == 0, "exact"
    both = searchset(fhir_get(user_client, "/fhir/Questionnaire",
                              {"url": f"{SEIN},urn:oncodcc:questionnaire:prostate"}))
    assert set(ids(both)) == {"sein-1-0-0", "prostate-1-0-0"}


def test_search_by_version_status_and_id(user_client, forms):
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"version": "1.0.0"}))["total"] == \
        Questionnaire.objects.filter(version="1.0.0").count()
    Questionnaire.objects.filter(url=SEIN).update(status=Questionnaire.Status.RETIRED)
    retired = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"status": "retired"}))
    assert ids(retired) == ["sein-1-0-0"] and retired["entry"][0]["resource"]["status"] == "retired"
    active = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"status": "active"}))
    assert active["total"] == forms - 1 and "sein-1-0-0" not in ids(active)
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"status:not": "active"}))["total"] == 1
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire",
                              {"status": "http://hl7.org/fhir/publication-status|retired"}))["total"] == 1
    assert ids(searchset(fhir_get(user_client, "/fhir/Questionnaire", {"_id": "sein-1-0-0"}))) == ["sein-1-0-0"]


def test_search_by_name_and_title_is_case_and_accent_insensitive_starts_with(user_client, forms):
    sein = Questionnaire.objects.get(url=SEIN)
    assert sein.title == "Fiche RCP — Sein"
    title = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title": "FICHE RCP — SÉIN"}))
    assert ids(title) == ["sein-1-0-0"]
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title": "fiche rcp"}))["total"] == forms
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title": "Sein"}))["total"] == 0, "starts with"
    assert "sein-1-0-0" in ids(searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title:contains": "séin"})))
    assert ids(searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title:exact": sein.title}))) == ["sein-1-0-0"]
    assert searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title:exact": sein.title.upper()}))["total"] == 0
    name = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"name": sein.name.upper()}))
    assert ids(name) == ["sein-1-0-0"]
    prefix = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"name": sein.name[:-2].lower()}))
    assert "sein-1-0-0" in ids(prefix)
    both = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"name": sein.name, "url": SEIN, "version": "1.0.0"}))
    assert ids(both) == ["sein-1-0-0"]


def test_paging_with_count_offset_and_next_links(user_client, forms):
    assert forms >= 5
    first = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"_count": "2"}))
    assert first["total"] == forms and len(first["entry"]) == 2
    assert "_count=2" in link(first, "self") and "_offset=0" in link(first, "self")
    seen = ids(first)
    page = first
    while link(page, "next"):
        assert "_count=2" in link(page, "next")
        page = searchset(follow(user_client, link(page, "next")))
        assert page["total"] == forms and link(page, "previous")
        seen += ids(page)
    assert len(seen) == len(set(seen)) == forms
    beyond = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"_offset": str(forms + 10)}))
    assert beyond["total"] == forms and "entry" not in beyond
    only_total = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"_count": "0"}))
    assert only_total["total"] == forms and "entry" not in only_total and link(only_total, "next") is None
    filtered = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"title": "fiche", "_count": "1"}))
    assert "title=fiche" in link(filtered, "next")
    clamped = searchset(fhir_get(user_client, "/fhir/Questionnaire", {"_count": "5000"}))
    assert "_count=200" in link(clamped, "self")


def test_read_by_logical_id(user_client, forms):
    response = fhir_get(user_client, "/fhir/Questionnaire/sein-1-0-0")
    assert response.status_code == 200
    data = response.json()
    FhirQuestionnaire.model_validate(data)
    sein = Questionnaire.objects.get(url=SEIN)
    assert (data["id"], data["url"], data["version"]) == ("sein-1-0-0", SEIN, "1.0.0")
    assert data["item"] == sein.definition["item"]
    assert data["meta"]["lastUpdated"].startswith(sein.published_at.astimezone(tz=None).strftime("%Y-"))
    assert fhir_get(user_client, "/fhir/Questionnaire/sein-1-0-0", {"_pretty": "true"}).content.startswith(b"{\n")
    for bad in ("sein-9-9-9", "sein", "inconnu-1-0-0", "sein-01-0-0"):
        outcome(user_client.get(f"/fhir/Questionnaire/{bad}"), 404, "not-found")


def test_search_and_read_errors(user_client):
    cases = [
        ({"inconnu": "1"}, 400, "not-supported"),
        ({"name:below": "x"}, 400, "not-supported"),
        ({"_sort": "title"}, 400, "not-supported"),
        ({"_count": "abc"}, 400, "invalid"),
        ({"_count": "-1"}, 400, "invalid"),
        ({"_count": ["1", "2"]}, 400, "invalid"),
        ({"_offset": "1.5"}, 400, "invalid"),
        ({"_offset": "99999999"}, 400, "invalid"),
        ({"name": "a\x00b"}, 400, "invalid"),
        ({"name": "a\nb"}, 400, "invalid"),
        ({"url\x01": "x"}, 400, "invalid"),
        ({"name": "x" * 5000}, 400, "invalid"),
        ({"_format": "xml"}, 406, "not-supported"),
        ({"_format": "nimportequoi"}, 400, "invalid"),
        ({"_pretty": "oui"}, 400, "invalid"),
    ]
    for params, status, code in cases:
        outcome(user_client.get("/fhir/Questionnaire", params), status, code)
    outcome(user_client.get("/fhir/Questionnaire/sein-1-0-0", {"url": SEIN}), 400, "not-supported")
    outcome(user_client.get("/fhir/Questionnaire", headers={"Accept": "application/fhir+xml"}), 406, "not-supported")
    assert user_client.get("/fhir/Questionnaire", {"_format": "json"}).status_code == 200
    assert user_client.get("/fhir/Questionnaire", headers={"Accept": "text/html,*/*;q=0.8"}).status_code == 200
    outcome(user_client.get("/fhir/Questionnaire/sein%001-0-0"), 400, "invalid")
    outcome(user_client.get("/fhir/Observation/1"), 404, "not-supported")
    outcome(user_client.get("/fhir/Questionnaire/sein-1-0-0/_history/1"), 404, "not-supported")
    outcome(user_client.get("/fhir/"), 404, "not-supported")


def test_writes_are_405_outcomes_even_without_csrf_token(forms, outsider):
    client = Client(enforce_csrf_checks=True)
    client.force_login(outsider)
    body, kind = '{"resourceType": "Questionnaire"}', "application/fhir+json"
    for response in (
        client.post("/fhir/Questionnaire", body, content_type=kind),
        client.put("/fhir/Questionnaire/sein-1-0-0", body, content_type=kind),
        client.delete("/fhir/Questionnaire/sein-1-0-0"),
        client.patch("/fhir/QuestionnaireResponse/fiche-1", body, content_type=kind),
        client.post("/fhir/metadata"),
        Client(enforce_csrf_checks=True).post("/fhir/QuestionnaireResponse", body, content_type=kind),
    ):
        outcome(response, 405, "not-supported")
        assert response["Allow"] == "GET, HEAD"
    assert Questionnaire.objects.count() == forms


# --- QuestionnaireResponse ---

def test_patient_responses_for_an_authorised_user(member_client, fiche, member_doctor):
    patient = fiche.patient
    response = fhir_get(member_client, "/fhir/QuestionnaireResponse", {"subject": f"Patient/{patient.pk}"})
    assert response["Cache-Control"] == "no-store"
    bundle = searchset(response)
    assert bundle["total"] == 1 and ids(bundle) == [f"fiche-{fiche.pk}"]
    resource = bundle["entry"][0]["resource"]
    record = fiche.organ_answers
    record.refresh_from_db()
    assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["questionnaire"] == record.questionnaire.canonical
    assert resource["status"] == "in-progress"
    assert resource["meta"]["lastUpdated"].endswith("Z") and resource["authored"]
    answered = [i["linkId"] for group in resource["item"] for i in [group, *group.get("item", [])]]
    assert fiche.answered_link_id in answered
    events = list(fhir_events(patient_id=patient.pk))
    assert len(events) == 1
    assert events[0].details == {"resource": "QuestionnaireResponse", "count": 1}
    assert events[0].actor_id == member_doctor.pk


def test_subject_forms_and_filters(member_client, fiche):
    pk = fiche.patient_id
    canonical = fiche.organ_answers.questionnaire.canonical
    logical = canonical.split(":")[-1].replace("|", "-").replace(".", "-")
    for params in ({"subject": str(pk)}, {"patient": str(pk)}, {"patient": f"Patient/{pk}"},
                   {"subject:Patient": str(pk)}, {"subject": f"http://testserver/fhir/Patient/{pk}"},
                   {"subject": f"Patient/{pk}", "patient": str(pk)},
                   {"subject": f"Patient/{pk}", "questionnaire": canonical},
                   {"subject": f"Patient/{pk}", "questionnaire": canonical.split("|")[0]},
                   {"subject": f"Patient/{pk}", "questionnaire": f"Questionnaire/{logical}"},
                   {"subject": f"Patient/{pk}", "status": "in-progress"},
                   {"subject": f"Patient/{pk}", "_id": f"fiche-{fiche.pk}"}):
        assert searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse", params))["total"] == 1, params
    for params in ({"subject": f"Patient/{pk}", "questionnaire": canonical.split("|")[0] + "|9.9.9"},
                   {"subject": f"Patient/{pk}", "questionnaire": "urn:oncodcc:questionnaire:autre"},
                   {"subject": f"Patient/{pk}", "status": "completed"},
                   {"subject": f"Patient/{pk}", "status:not": "in-progress"},
                   {"subject": f"Patient/{pk}", "_id": "fiche-999999"}):
        assert searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse", params))["total"] == 0, params


def test_validated_and_superseded_fiches_are_completed_and_newest_comes_first(member_client, fiche, member_doctor,
                                                                              registration):
    Fiche.objects.filter(pk=fiche.pk).update(status=Fiche.Status.VALIDATED)
    later = f.RegistrationFactory(patient=registration.patient, meeting=f.MeetingFactory(board=registration.meeting.board),
                                  created_by=member_doctor, requesting_doctor=member_doctor.practitioner)
    newer = fiches.start(actor=member_doctor, registration=later)
    bundle = searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse",
                                {"subject": f"Patient/{fiche.patient_id}"}))
    assert ids(bundle) == [f"fiche-{newer.pk}", f"fiche-{fiche.pk}"]
    assert [e["resource"]["status"] for e in bundle["entry"]] == ["in-progress", "completed"]
    Fiche.objects.filter(pk=fiche.pk).update(status=Fiche.Status.SUPERSEDED)
    completed = searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse",
                                   {"subject": f"Patient/{fiche.patient_id}", "status": "completed"}))
    assert ids(completed) == [f"fiche-{fiche.pk}"]
    first = searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse",
                               {"subject": f"Patient/{fiche.patient_id}", "_count": "1"}))
    assert ids(first) == [f"fiche-{newer.pk}"] and first["total"] == 2
    second = searchset(follow(member_client, link(first, "next")))
    assert ids(second) == [f"fiche-{fiche.pk}"] and link(second, "next") is None
    assert fhir_events(patient_id=fiche.patient_id).count() == 4, "one event per search"


def test_read_one_response(member_client, fiche):
    response = fhir_get(member_client, f"/fhir/QuestionnaireResponse/fiche-{fiche.pk}")
    assert response.status_code == 200
    data = response.json()
    QuestionnaireResponse.model_validate(data)
    assert data["id"] == f"fiche-{fiche.pk}" and data["subject"]["reference"] == f"Patient/{fiche.patient_id}"
    event = fhir_events(patient_id=fiche.patient_id).get()
    assert (event.object_type, event.object_id) == ("rcp.fiche", str(fiche.pk))
    assert event.details == {"resource": "QuestionnaireResponse", "count": 1}
    for bad in ("fiche-999999", "fiche-0", "fiche-abc", "12"):
        outcome(member_client.get(f"/fhir/QuestionnaireResponse/{bad}"), 404, "not-found")


def test_outsider_is_refused_and_the_refusal_audited(fiche, outsider):
    client = Client()
    client.force_login(outsider)
    outcome(client.get("/fhir/QuestionnaireResponse", {"subject": f"Patient/{fiche.patient_id}"}), 403, "forbidden")
    outcome(client.get(f"/fhir/QuestionnaireResponse/fiche-{fiche.pk}"), 403, "forbidden")
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=fiche.patient_id, actor_id=outsider.pk)
    assert denied.count() == 2
    assert denied.first().details["purpose"] == Action.FHIR_READ
    assert not fhir_events().exists()


def test_response_search_errors(member_client, fiche):
    outcome(member_client.get("/fhir/QuestionnaireResponse"), 400, "invalid")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"status": "completed"}), 400, "invalid")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject": ""}), 400, "invalid")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject": "Group/1"}), 400, "not-supported")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject": "Patient/a b"}), 400, "invalid")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject": f"{fiche.patient_id},999"}), 400,
            "not-supported")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject": fiche.patient_id, "author": "x"}), 400,
            "not-supported")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject:identifier": "x"}), 400, "not-supported")
    outcome(member_client.get("/fhir/QuestionnaireResponse", {"subject": "1\x7f"}), 400, "invalid")
    for unknown in ("Patient/999999", "Patient/abc", "99999999999999999999999"):
        empty = searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse", {"subject": unknown}))
        assert empty["total"] == 0 and "entry" not in empty
    assert not fhir_events().exists()


def test_a_patient_without_fiches_is_not_audited_as_read(member_client, forms, patient):
    empty = searchset(fhir_get(member_client, "/fhir/QuestionnaireResponse", {"subject": f"Patient/{patient.pk}"}))
    assert empty["total"] == 0
    assert not fhir_events().exists()
