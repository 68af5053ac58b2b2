"""A GP (or a doctor named on a registration) without any board: "Mes patients en RCP" on the home page with the
latest validated proposal, each patient audited; the validated fiche and PPS read (audited), drafts and writes
refused (audited, nothing written), other patients refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.careplans.models import CarePlan
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.selectors.fiches import proposal_summary
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp_case():
    gp = f.DoctorFactory()
    board = f.BoardFactory(name="RCP Sein Artois")
    registration = f.RegistrationFactory(meeting=f.MeetingFactory(board=board),
                                         patient=f.PatientFactory(birth_name="Lefebvre", gp=gp.practitioner))
    patient = registration.patient
    author = f.DoctorFactory()
    old = f.mark_validated(f.complete_fiche(registration, created_by=author), by=author)
    Fiche.objects.filter(pk=old.pk).update(status=Fiche.Status.SUPERSEDED,
                                           validated_at=timezone.now() - timedelta(days=30))
    latest = f.mark_validated(f.complete_fiche(registration, created_by=author, version_number=2,
                                               set_id=old.set_id), by=author)
    draft = f.complete_fiche(registration, created_by=author, version_number=3, set_id=old.set_id)
    plan = CarePlan.objects.create(patient=patient, fiche=latest, kind=CarePlan.Kind.PPS, created_by=author,
                                   status=CarePlan.Status.VALIDATED, validated_at=timezone.now())
    draft_plan = CarePlan.objects.create(patient=patient, fiche=latest, kind=CarePlan.Kind.PPS, created_by=author)
    return dict(gp=gp, patient=patient, old=old, latest=latest, draft=draft, plan=plan, draft_plan=draft_plan)


def test_home_lists_my_patients_with_the_latest_validated_proposal(gp_case, client):
    c = gp_case
    other = f.RegistrationFactory()  # someone else's patient, with a validated fiche
    f.mark_validated(f.complete_fiche(other, created_by=f.DoctorFactory()), by=f.DoctorFactory())
    named = f.RegistrationFactory(requesting_doctor=c["gp"].practitioner)
    f.mark_validated(f.complete_fiche(named, created_by=f.DoctorFactory()), by=f.DoctorFactory())
    client.force_login(c["gp"])
    response = client.get("/")
    rows = response.context["my_patients"]
    assert {row.patient.pk for row in rows} == {c["patient"].pk, named.patient.pk}
    mine = next(row for row in rows if row.patient == c["patient"])
    assert mine.fiche == c["latest"] and mine.board_name == "RCP Sein Artois" and mine.as_gp
    assert mine.proposal == proposal_summary(c["latest"]) and mine.proposal  # the first-line treatment
    page = response.content.decode()
    assert "Mes patients en RCP" in page and "LEFEBVRE" in page and f"/rcp/fiches/{c['latest'].pk}/" in page
    assert other.patient.birth_name.upper() not in page
    events = AuditEvent.objects.filter(action="patient.list", actor_id=c["gp"].pk)
    assert {e.patient_id for e in events} == {c["patient"].pk, named.patient.pk}
    assert events.get(patient_id=c["patient"].pk).details["proposal_of_fiche"] == c["latest"].pk


def test_gp_reads_validated_documents_only(gp_case, client):
    c = gp_case
    client.force_login(c["gp"])
    for url in (f"/rcp/fiches/{c['latest'].pk}/", f"/rcp/fiches/{c['old'].pk}/", f"/pps/{c['plan'].pk}/",
                f"/patients/{c['patient'].pk}/"):
        assert client.get(url).status_code == 200, url
    assert AuditEvent.objects.filter(action="fiche.view", actor_id=c["gp"].pk, patient_id=c["patient"].pk,
                                     object_id=str(c["latest"].pk)).exists()
    assert AuditEvent.objects.filter(action="careplan.view", actor_id=c["gp"].pk,
                                     object_id=str(c["plan"].pk)).exists()
    # The record: validated fiches only in the timeline, no draft PPS, no edit buttons.
    record = client.get(f"/patients/{c['patient'].pk}/")
    fiche_ids = {e.pk for e in record.context["timeline"] if e.is_fiche}
    assert fiche_ids == {c["old"].pk, c["latest"].pk}
    assert f"/pps/{c['draft_plan'].pk}/" not in record.content.decode()
    assert not record.context["can_edit"]
    # The fiche page hides the correction under way.
    page = client.get(f"/rcp/fiches/{c['latest'].pk}/")
    versions = {v.pk for v in page.context["page"].versions}
    assert versions == {c["old"].pk, c["latest"].pk}
    assert page.context["page"].latest is None and not page.context["page"].can_correct


def test_gp_is_refused_drafts_and_writes(gp_case, client):
    c = gp_case
    client.force_login(c["gp"])
    before = Fiche.objects.get(pk=c["draft"].pk).case_summary
    assert client.get(f"/rcp/fiches/{c['draft'].pk}/").status_code == 403
    assert client.get(f"/pps/{c['draft_plan'].pk}/").status_code == 403
    assert client.get(f"/rcp/fiches/{c['draft'].pk}/modifier/").status_code == 403
    assert client.post(f"/rcp/fiches/{c['draft'].pk}/modifier/",
                       {"case_summary": "Réécrit par le médecin traitant"}).status_code == 403
    assert client.post(f"/pps/{c['plan'].pk}/nouvelle-version/",
                       {"reason_code": "1", "reason_text": "x"}).status_code == 403
    assert Fiche.objects.get(pk=c["draft"].pk).case_summary == before
    assert CarePlan.objects.filter(patient=c["patient"]).count() == 2
    denied = AuditEvent.objects.filter(action="patient.access_denied", actor_id=c["gp"].pk,
                                       patient_id=c["patient"].pk)
    assert denied.filter(object_id=str(c["draft"].pk)).exists()
    assert denied.filter(object_id=str(c["draft_plan"].pk)).exists()
    assert not AuditEvent.objects.filter(action="fiche.view", object_id=str(c["draft"].pk)).exists()


def test_gp_is_refused_other_patients(gp_case, client):
    other = f.RegistrationFactory()
    fiche = f.mark_validated(f.complete_fiche(other, created_by=f.DoctorFactory()), by=f.DoctorFactory())
    client.force_login(gp_case["gp"])
    assert client.get(f"/rcp/fiches/{fiche.pk}/").status_code == 403
    assert client.get(f"/patients/{other.patient.pk}/").status_code == 403
    assert AuditEvent.objects.filter(action="patient.access_denied", patient_id=other.patient.pk).exists()
    assert not AuditEvent.objects.filter(action="fiche.view", patient_id=other.patient.pk).exists()
