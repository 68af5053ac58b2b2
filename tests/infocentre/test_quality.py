"""Quality indicators on hand-built data: registrations (discussed, recorded, postponed, withdrawn), fiches of the
year judged on their latest version, the year's edges in Europe/Paris, delays (median, 90th percentile),
repeated patients, deliveries per channel; the page, its rights and its exports (suppressed outside the DSRC)."""

import io
import uuid
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.careplans.models import CarePlan
from oncodcc.diffusion.models import Delivery
from oncodcc.documents.models import Document
from oncodcc.infocentre import quality, scopes
from oncodcc.rcp.models import Fiche, Registration, Tumour
from oncodcc.terminology import valuesets as vs
from tests import factories as f

from .conftest import meeting_at, paris, registration, validated, validated_plan

PAGE = reverse("infocentre:quality")


def complete(fiche: Fiche, **fields) -> Fiche:
    """Every INCa mandatory item present (then `fields` may take some away)."""
    values = dict(case_status=vs.CASE_DISCUSSED, quorum_status=vs.QUORUM_REACHED, who_performance="MED-264",
                  phase=vs.PHASE_INITIAL, screening=False, trial_proposed=False, guideline_name="Référentiel régional",
                  complete_file=True)
    values.update(fields)
    Fiche.objects.filter(pk=fiche.pk).update(**values)
    Tumour.objects.create(fiche=fiche, topography="C50.4", morphology="8500/3", tnm_t="pT1c")
    fiche.refresh_from_db()
    return fiche


def created(reg: Registration, at) -> Registration:
    Registration.objects.filter(pk=reg.pk).update(created_at=at)
    return reg


@pytest.fixture
def story(region):
    board = region.board_north
    patient_a, patient_b = f.PatientFactory(), f.PatientFactory()
    march = meeting_at(board, paris(2025, 3, 10, 17))
    june = meeting_at(board, paris(2025, 6, 10, 17))
    # A: discussed in March, complete; corrected in April (the correction proposes a trial).
    r1 = created(registration(march, patient_a), paris(2025, 3, 1, 17))
    f1 = complete(validated(r1, paris(2025, 3, 12, 17)))
    Fiche.objects.filter(pk=f1.pk).update(status=Fiche.Status.SUPERSEDED)
    f1b = complete(validated(r1, paris(2025, 4, 1, 9), version=2, set_id=f1.set_id), trial_proposed=True)
    validated_plan(f1b, patient_a, paris(2025, 3, 20, 10))
    CarePlan.objects.filter(fiche=f1b).update(handed_over_at=date(2025, 3, 20))
    # A again in June: a recorded case, quorum not reached, no guideline (off guideline, incomplete).
    r2 = created(registration(june, patient_a), paris(2025, 5, 21, 17))
    complete(validated(r2, paris(2025, 6, 30, 17)), case_status=vs.CASE_REGISTERED,
             quorum_status=vs.QUORUM_NOT_REACHED, guideline_name="")
    # B: postponed from March; C withdrawn in June.
    registration(march, patient_b, status=Registration.Status.MOVED)
    registration(june, status=Registration.Status.WITHDRAWN)
    # The year's edge: a meeting at 23:30 on 31 December 2024 in Paris (22:30 UTC) and its fiche the same night.
    edge = meeting_at(board, paris(2024, 12, 31, 23, 30))
    complete(validated(registration(edge), paris(2024, 12, 31, 23, 45)))
    # The south board: one fiche in 2025.
    south = meeting_at(region.board_south, paris(2025, 9, 2, 17))
    complete(validated(registration(south), paris(2025, 9, 3, 17)))
    # Deliveries of f1b's document: one delivered by MSSanté in 2025, one abandoned by DPI, one delivered in 2026.
    document = Document.objects.create(kind="frcp", type_code="11488-4", title="Fiche RCP", patient=patient_a,
                                       fiche=f1b, set_id=uuid.uuid4(), version_number=1)
    for channel, state, at in [("mssante", "delivered", paris(2025, 4, 2, 9)), ("dpi", "dead", None),
                               ("dmp", "delivered", paris(2026, 1, 1, 0, 30))]:
        delivery = Delivery.objects.create(document=document, set_id=document.set_id, channel=channel,
                                           recipient_key=f"{channel}:x", recipient_label="x", action="new",
                                           sequence=1, state=state, delivered_at=at)
        Delivery.objects.filter(pk=delivery.pk).update(created_at=paris(2025, 4, 2, 9))
    return region


def test_definitions_on_hand_built_data(story):
    result = quality.compute(year=2025, scope=scopes.region())
    north = next(r for r in result.rows if r.label == "RCP Sein Nord")
    assert (north.registered, north.discussed, north.recorded, north.postponed, north.withdrawn) == (4, 1, 1, 1, 1)
    assert north.fiches == 2  # the correction is not a new fiche; the 2024 edge is not in 2025
    assert (north.quorum, north.complete, north.trial, north.off_guideline) == (1, 1, 1, 1)
    assert north.share(north.quorum) == 50.0
    assert sorted(north.to_meeting.values) == pytest.approx([9.0, 20.0])
    assert sorted(north.to_fiche.values) == pytest.approx([2.0, 20.0])
    assert (north.to_pps.values, north.to_pps.median, north.to_pps.p90) == ([8.0], 8.0, 8.0)
    assert (north.patients, north.repeat_patients, north.repeat_share) == (1, 1, 100.0)
    assert north.delivered == {"dpi": 0, "mssante": 1, "dmp": 0} and north.dead["dpi"] == 1
    assert result.total.fiches == 3 and result.total.registered == 5
    edge_year = quality.compute(year=2024, scope=scopes.region()).total
    assert (edge_year.registered, edge_year.fiches) == (1, 1)


def test_median_and_90th_percentile():
    delays = quality.Delays([float(d) for d in range(1, 11)])
    assert (delays.median, delays.p90) == (5.5, 9.0)
    assert quality.Delays([]).median is None and quality.Delays([3.0]).p90 == 3.0


def test_groupings(story):
    by_3c = quality.compute(year=2025, scope=scopes.region(), grouping="3c")
    assert {r.label: r.fiches for r in by_3c.rows} == {"3C Nord": 2, "3C Sud": 1}
    by_organ = quality.compute(year=2025, scope=scopes.of_ccc(story.ccc_south), grouping="organe")
    assert [(r.label, r.fiches) for r in by_organ.rows] == [(vs.display(vs.ORGAN, "MED-251"), 1)]


def test_page_shows_the_table_and_the_definitions(client, story):
    client.force_login(story.users["dsrc"])
    response = client.get(PAGE, {"annee": 2025})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Items INCa complets" in page and "90ᵉ centile" in page and "RCP Sein Nord" in page
    client.force_login(story.users["admin3c"])
    assert client.get(PAGE, {"annee": 2025, "perimetre": "region"}).status_code == 403
    assert client.get(PAGE, {"annee": 2025, "par": "nimportequoi"}).status_code == 404
    client.force_login(story.users["secretary"])
    assert client.get(PAGE).status_code == 403


def test_exports_suppress_small_counts_outside_the_dsrc(client, story):
    client.force_login(story.users["admin3c"])
    url = reverse("infocentre:quality_export", args=["xlsx"])
    response = client.get(url, {"annee": 2025})
    assert response.status_code == 200
    header, *rows = list(openpyxl.load_workbook(io.BytesIO(response.content))["Données"].values)
    north = dict(zip(header, rows[0], strict=True))
    assert north["RCP"] == "RCP Sein Nord" and north["Fiches"] == "< 5" and north["Quorum atteint (%)"] == "—"
    event = AuditEvent.objects.get(action="infocentre.export")
    assert event.details["table"] == "qualite" and event.details["suppressed"] is True and event.patient_id is None
    client.force_login(story.users["dsrc"])
    response = client.get(reverse("infocentre:quality_export", args=["csv"]), {"annee": 2025, "par": "3c"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("3C;Dossiers inscrits") and lines[1].startswith("3C Nord;4;1;1;1;1;2;")


def test_a_year_with_nothing_gives_empty_indicators(region):
    result = quality.compute(year=2023, scope=scopes.region())
    assert result.total.fiches == 0 and result.total.share(0) is None and result.total.to_fiche.median is None
    assert all(r.registered == 0 for r in result.rows)
