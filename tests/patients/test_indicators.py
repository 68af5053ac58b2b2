"""Identity vigilance indicators: counts per month and hospital (flagged, twin/homonym, INS collisions, merged,
unmerged), for identity reviewers only, audited, exported as CSV; never an identity."""

import html
from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.core.actors import SystemActor
from oncodcc.patients import certain, inbound, indicators, vigilance
from oncodcc.patients.inbound import IncomingIdentity
from oncodcc.patients.models import OID_INS_NIR, Patient
from tests import factories as f
from tests import samples

pytestmark = pytest.mark.django_db
URL = "/patients/identitovigilance/indicateurs/"
BIRTH = date(1957, 2, 14)
INS = "257026912300124"


@pytest.fixture
def hospital():
    return samples.hospital(name="CH de Test-la-Forêt")


@pytest.fixture
def reviewer():
    return f.UserFactory(role="admin_dsrc", organisation=f.DsrcFactory())


def send(hospital, ipp, **traits):
    hl7 = SystemActor(label=f"HL7 {hospital}/DPI", role="hl7", organisation=hospital)
    data = {"birth_name": "GARNIER", "birth_given_names": "Colette", "birth_date": BIRTH, "sex": "F",
            "birthplace_insee": "69123"}
    with inbound.incidents_recorded(), transaction.atomic():
        return inbound.resolve(actor=hl7, organisation=hospital, channel="hl7",
                               incoming=IncomingIdentity(ipp=ipp, **{**data, **traits})).patient


@pytest.fixture
def activity(hospital, reviewer):
    """A known record with a qualified INS; the same person again (certain), a twin, an INS sent with another
    birth name (collision); the certain pair confirmed then undone."""
    f.PatientFactory(birth_name="Garnier", birth_given_names="Colette Anne", first_birth_given_name="Colette",
                     birth_date=BIRTH, sex="F", birthplace_insee="69123", ins_matricule=INS, ins_oid=OID_INS_NIR,
                     identity_status="QUAL")
    send(hospital, "IPP-1")
    send(hospital, "IPP-2", birth_given_names="Martine")
    with pytest.raises(inbound.IdentityError):
        send(hospital, "IPP-3", birth_name="DURAND", ins_matricule=INS, ins_oid=OID_INS_NIR,
             identity_status="QUAL")
    result = certain.confirm(actor=reviewer, keys=[p.key for p in certain.certain_pairs(user=reviewer)])
    vigilance.undo_merge(actor=reviewer, merge_id=result.merged[0], reason="Deux personnes après vérification")


def test_counts_per_month_and_hospital(activity, reviewer):
    month = timezone.now().strftime("%Y-%m")
    rows = indicators.read(user=reviewer, year=timezone.now().year)
    by_hospital = {row.hospital: dict(zip([k for k, _ in indicators.COLUMNS], row.cells(), strict=True))
                   for row in rows}
    assert {row.month for row in rows} == {month}
    # Flagged: the certain one and the twin from the hospital; the collision's set-aside record has no IPP.
    assert by_hospital["CH de Test-la-Forêt"] == {"flagged": 2, "twin_risk": 1, "ins_collisions": 1, "merged": 1,
                                                  "unmerged": 1}
    assert by_hospital[indicators.NO_HOSPITAL]["flagged"] == 1
    assert AuditEvent.objects.filter(action="identity.indicators", actor_id=reviewer.pk).count() == 1


def test_page_and_csv_export_audited_without_identities(client, activity, reviewer):
    client.force_login(reviewer)
    page = client.get(URL)
    body = html.unescape(page.content.decode())
    assert page.status_code == 200 and "CH de Test-la-Forêt" in body and "Collisions INS" in body
    assert "garnier" not in body.lower() and "durand" not in body.lower()
    export = client.get(URL, {"format": "csv", "annee": str(timezone.now().year)})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ("Mois;Établissement;Signalés doublon potentiel;Risque jumeaux / homonymes;"
                                    "Collisions INS;Fusionnés;Fusions annulées")
    assert "CH de Test-la-Forêt;2;1;1;1;1" in text and "garnier" not in text.lower()
    events = AuditEvent.objects.filter(action="identity.indicators", actor_id=reviewer.pk)
    assert [e.details["export"] for e in events.order_by("id")] == ["", "csv"]
    assert all(e.patient_id is None for e in events)


def test_a_bad_year_falls_back_to_this_year_and_an_empty_year_says_so(client, reviewer):
    client.force_login(reviewer)
    response = client.get(URL, {"annee": "abc"})
    assert response.status_code == 200 and response.context["year"] == timezone.now().year
    assert "Aucun événement d'identitovigilance" in html.unescape(response.content.decode())


@pytest.mark.parametrize("role", ["doctor", "secretary", "admin_3c", "dpo"])
def test_other_roles_are_refused(client, role):
    user = f.DoctorFactory(role=role) if role == "doctor" else f.UserFactory(role=role)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action="identity.indicators").exists()
    assert Patient.objects.count() == 0


def test_a_record_flagged_by_an_update_is_counted(hospital, reviewer):
    f.PatientFactory(birth_name="Garnier", birth_given_names="Colette", first_birth_given_name="Colette",
                     birth_date=BIRTH, sex="F", birthplace_insee="69123")
    other = send(hospital, "IPP-9", birth_name="DUPUIS", birth_given_names="Odile", birthplace_insee="")
    assert not other.is_potential_duplicate
    again = send(hospital, "IPP-9")  # the hospital corrects the identity: now the same as the known record
    assert again.pk == other.pk and again.is_potential_duplicate
    event = AuditEvent.objects.filter(action="patient.update", patient_id=other.pk).latest("id")
    assert event.details["identity_vigilance"] == "flagged_on_update" and event.details["tier"] == "certain"
    [row] = indicators.compute(timezone.now().year)
    assert row.hospital == "CH de Test-la-Forêt" and row.counts == {"flagged": 1}
