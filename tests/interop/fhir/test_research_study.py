"""/fhir/ResearchStudy: the regional trials registry, read and searched by status, condition and site; every answer
valid FHIR R4 (fhir.resources); the criteria extension re-imports unchanged."""

import pytest

from oncodcc.trials import importing
from oncodcc.trials.models import Trial, TrialSite
from oncodcc.trials.research_study import record_fields

from .conftest import ids, outcome

READ = "system/ResearchStudy.read"


@pytest.fixture
def registry(hospital, other_hospital):
    her2 = Trial.objects.create(eu_ct_number="2024-510001-11-00", nct_id="NCT06000001", acronym="HER2-LOW",
                                title="T-DXd HER2-faible", phase="III", sponsor="Promoteur Démo",
                                organs=["76752008"], topographies=["C50"], biomarkers=["her2_statut=low"],
                                min_age=18, max_performance_status=1, lines=["2+"],
                                other_criteria="FEVG ≥ 50 %")
    TrialSite.objects.create(trial=her2, organisation=hospital, investigator="Dr Anne Martin", contact="arc@demo.fr")
    lung = Trial.objects.create(nct_id="NCT06000002", title="Osimertinib adjuvant", organs=["MED-255"],
                                topographies=["C34"], biomarkers=["egfr=mute"], status=Trial.Status.SUSPENDED)
    TrialSite.objects.create(trial=lung, organisation=other_hospital)
    closed = Trial.objects.create(national_id="ID-RCB 2019-A0001-01", title="Ancien essai", organs=["76752008"],
                                  status=Trial.Status.CLOSED)
    return her2, lung, closed


def test_read_and_search(make_api, registry, hospital):
    her2, lung, closed = registry
    api = make_api(None, READ)
    resource = api.read(f"ResearchStudy/{her2.pk}")
    assert resource["status"] == "active" and resource["phase"]["coding"][0]["code"] == "phase-3"
    assert resource["identifier"][0] == {"use": "usual", "system": "https://euclinicaltrials.eu",
                                         "value": "2024-510001-11-00"}
    assert resource["site"][0]["reference"] == f"Organization/{hospital.pk}"
    assert resource["site"][0]["identifier"]["value"] == hospital.finess
    fields, sites = record_fields(resource)
    assert fields["biomarkers"] == ["her2_statut=low"] and fields["other_criteria"] == "FEVG ≥ 50 %"
    assert sites == [(hospital.finess, "Dr Anne Martin", "arc@demo.fr")]

    def found(params):
        return sorted(int(i) for i in ids(api.search("ResearchStudy", params)))

    assert found({}) == sorted([her2.pk, lung.pk, closed.pk])
    assert found({"status": "active"}) == [her2.pk]
    assert found({"status:not": "closed-to-accrual"}) == sorted([her2.pk, lung.pk])
    assert found({"condition": "76752008"}) == sorted([her2.pk, closed.pk])
    assert found({"condition": "http://hl7.org/fhir/sid/icd-10|C34"}) == [lung.pk]
    assert found({"condition": "76752008", "status": "active"}) == [her2.pk]
    assert found({"site": f"Organization/{hospital.pk}"}) == [her2.pk]
    assert found({"site": str(hospital.pk)}) == [her2.pk]
    outcome(api.get("ResearchStudy/999999"), 404)
    outcome(api.get("ResearchStudy", {"sponsor": "x"}), 400)


def test_a_client_needs_the_scope(make_api, registry):
    api = make_api(None, "system/Organization.read")
    assert api.get(f"ResearchStudy/{registry[0].pk}").status_code == 403


def test_the_search_bundle_reimports_as_the_same_registry(make_api, registry, hospital, other_hospital):
    api = make_api(None, READ)
    bundle = api.search("ResearchStudy")
    before = {t.identifier: (t.status, t.organs, t.topographies, t.biomarkers, t.min_age, t.max_performance_status,
                             t.lines, t.other_criteria) for t in Trial.objects.all()}
    Trial.objects.all().delete()
    importing.apply(importing.parse_bundle(bundle))
    after = {t.identifier: (t.status, t.organs, t.topographies, t.biomarkers, t.min_age, t.max_performance_status,
                            t.lines, t.other_criteria) for t in Trial.objects.all()}
    assert after == before
