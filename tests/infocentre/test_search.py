"""The search over fiches: the search documents kept by validation (and corrections), accent- and
plural-insensitive keywords on the database in use (SQLite FTS5 locally, PostgreSQL with DATABASE_URL), the
filters, the access rules, the pseudonymised rows of the epidemiologist, the audit, saved searches and exports."""

import csv
import io
import json
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.infocentre import search_backend, search_index
from oncodcc.infocentre.models import FicheSearchDocument, SavedSearch
from oncodcc.infocentre.pseudonyms import pseudonym
from oncodcc.questionnaires import engine
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import parse
from oncodcc.questionnaires.models import Questionnaire
from oncodcc.rcp import signals
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.services import fiches as fiche_services
from tests import factories as f
from tests.questionnaires.helpers import breast

SEARCH = reverse("infocentre_search:search")
S = "urn:oncodcc:codesystem:sein"
SEIN = "urn:oncodcc:questionnaire:sein"


@pytest.fixture
def breast_form(db) -> Questionnaire:
    organ_forms.publish(parse(breast()), source="sein.json")
    return Questionnaire.objects.get(url=SEIN)


@pytest.fixture
def world(db, breast_form):
    """Two boards (Sein, Thorax), a doctor in the Sein board's care of two patients, an epidemiologist."""
    sein = f.BoardFactory(name="RCP Sein")
    thorax = f.BoardFactory(name="RCP Thorax", organs=["MED-255"])
    doctor = f.DoctorFactory()
    f.add_member(sein, doctor.practitioner)
    epidemiologist = f.UserFactory(role=Role.EPIDEMIOLOGIST, username="epi")
    return {"sein": sein, "thorax": thorax, "doctor": doctor, "epi": epidemiologist, "form": breast_form}


def validated_fiche(board, *, patient=None, days_ago=10, answers=None, form=None, **fields) -> Fiche:
    """A fiche validated on `board`, announced like the validation service does (the receivers index it)."""
    meeting = f.MeetingFactory(board=board, starts_at=f.past(days_ago))
    registration = f.RegistrationFactory(meeting=meeting, patient=patient or f.PatientFactory())
    author = f.DoctorFactory()
    fiche = f.complete_fiche(registration, created_by=author, **fields)
    if answers is not None:
        organ_forms.store(fiche, form, engine.validate(form.form, answers))
    f.mark_validated(fiche, by=author)
    signals.fiche_validated.send(sender=Fiche, fiche=fiche)
    return fiche


def ids(response) -> set[int]:
    return {row.fiche_id for row in response.context["result"].rows}


def test_the_validation_writes_the_search_document(world):
    fiche = validated_fiche(world["sein"], answers={"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif"}, form=world["form"],
                            comments="Patiente opérée, métastases hépatiques à surveiller.")
    body = FicheSearchDocument.objects.get(fiche=fiche).body
    assert "HER2 positif" in body and "métastases hépatiques" in body
    assert "Traitement adjuvant ?" in body and "Radiothérapie adjuvante" in body


@pytest.mark.parametrize(("query", "found"), [
    ("her2 positif", True), ("HER2 POSITIF", True), ("métastase", True), ("metastases", True),
    ("hépatique", True), ("hepatiques", True), ("metastase pulmonaire", False), ("lobulaire", False),
])
def test_keywords_ignore_accents_case_and_plurals(client, world, query, found):
    fiche = validated_fiche(world["sein"], answers={"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif"}, form=world["form"],
                            comments="Métastases hépatiques.")
    client.force_login(world["epi"])
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert (fiche.pk in ids(response)) is found, connection.vendor


def test_excerpts_mark_the_words_found_and_escape_the_text(client, world):
    fiche = validated_fiche(world["sein"], comments="Métastases <b>hépatiques</b> & osseuses.")
    client.force_login(world["epi"])
    row = client.get(SEARCH, {"q": "metastase"}).context["result"].rows[0]
    assert row.fiche_id == fiche.pk
    assert "<mark>Métastases</mark>" in row.excerpt_html
    # SQLite keeps the tag as text (escaped), ts_headline drops it: never live HTML either way.
    assert "<b>" not in row.excerpt_html and "&amp; osseuses" in row.excerpt_html


def test_a_correction_replaces_the_document_of_its_fiche(world):
    _hospital, _board, coordinator, meeting = f.organ_board_case()
    registration = f.RegistrationFactory(meeting=meeting)
    draft = f.complete_fiche(registration, created_by=coordinator, comments="Adénopathie axillaire suspecte.")
    first = fiche_services.validate(actor=coordinator, fiche=draft, expected_version=draft.lock_version)
    assert list(FicheSearchDocument.objects.values_list("fiche_id", flat=True)) == [first.pk]
    correction = fiche_services.correct(actor=coordinator, fiche=first, reason="Erreur de saisie")
    Fiche.objects.filter(pk=correction.pk).update(comments="Adénopathie axillaire bénigne.")
    correction.refresh_from_db()
    second = fiche_services.validate(actor=coordinator, fiche=correction, expected_version=correction.lock_version)
    document = FicheSearchDocument.objects.get()
    assert document.fiche_id == second.pk and "bénigne" in document.body
    hits = Fiche.objects.filter(pk__in=search_backend.matching_fiches("suspecte"))
    assert not hits.exists()
    assert list(Fiche.objects.filter(pk__in=search_backend.matching_fiches("benigne"))) == [second]


def test_rebuild_gives_the_same_documents(world):
    fiche = validated_fiche(world["sein"], answers={"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif"}, form=world["form"])
    before = FicheSearchDocument.objects.get(fiche=fiche).body
    FicheSearchDocument.objects.all().delete()
    assert search_index.rebuild() == 1
    assert FicheSearchDocument.objects.get(fiche=fiche).body == before
    assert set(Fiche.objects.filter(pk__in=search_backend.matching_fiches("her2"))) == {fiche}


def test_filters(client, world):
    her2 = validated_fiche(world["sein"], answers={"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif", "stade_ajcc": f"{S}|IIA"},
                           form=world["form"], trial_proposed=True, days_ago=40)
    negative = validated_fiche(world["sein"], answers={"her2_ihc": f"{S}|0", "her2_statut": f"{S}|negatif"}, form=world["form"],
                               days_ago=5)
    lung = validated_fiche(world["thorax"], organs=["MED-255"], days_ago=5)
    lung.tumours.update(topography="C34.1", morphology="8140/3")
    lung.treatments.update(code="C15632")
    client.force_login(world["epi"])

    def found(**criteria):
        response = client.get(SEARCH, criteria)
        assert response.status_code == 200 and not response.context["form"].errors, response.context["form"].errors
        return ids(response)

    assert found(board=world["sein"].pk) == {her2.pk, negative.pk}
    assert found(marker=f"{SEIN}|biomarker_1|positif") == {her2.pk}
    assert found(stage="iia") == {her2.pk}
    assert found(trial="oui") == {her2.pk}
    assert found(trial="non") == {negative.pk, lung.pk}
    assert found(topography="C34") == {lung.pk}
    assert found(topography="C50", morphology="8500/3") == {her2.pk, negative.pk}
    assert found(organ="MED-255") == {lung.pk}
    assert found(treatment="C15632") == {lung.pk}
    today = timezone.localdate()
    assert found(start=today - timedelta(days=10), end=today) == {negative.pk, lung.pk}
    assert found(q="her2 positif", board=world["sein"].pk) == {her2.pk}
    hospital = f.OrganisationFactory(name="CH Thorax")
    world["thorax"].hospitals.add(hospital)
    assert found(hospital=hospital.pk) == {lung.pk}


def test_bad_criteria_are_french_form_errors(client, world):
    client.force_login(world["epi"])
    response = client.get(SEARCH, {"topography": "poumon", "start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Code CIM-10 attendu" in errors["topography"][0]
    assert "précède" in errors["end"][0]
    assert response.context["result"] is None
    assert not AuditEvent.objects.filter(action="fiche.search").exists()


def test_a_doctor_finds_only_their_patients_identified_and_audited(client, world):
    mine = validated_fiche(world["sein"], comments="Récidive locale.")
    other = validated_fiche(world["thorax"], comments="Récidive locale.")
    client.force_login(world["doctor"])
    response = client.get(SEARCH, {"q": "récidive"})
    assert ids(response) == {mine.pk}
    row = response.context["result"].rows[0]
    assert row.patient == mine.patient.display_name and row.ins == mine.patient.ins_matricule
    assert row.url == reverse("rcp:fiche_detail", args=[mine.pk])
    events = AuditEvent.objects.filter(action="fiche.search")
    assert [(e.patient_id, e.actor_id) for e in events] == [(mine.patient_id, world["doctor"].pk)]
    assert events[0].details["criteria"] == {"q": "récidive"}
    assert other.patient_id not in set(AuditEvent.objects.values_list("patient_id", flat=True))


def test_the_epidemiologist_sees_every_fiche_pseudonymised(client, world):
    patient = f.PatientFactory(birth_name="Lefebvre", first_birth_given_name="Odile", birth_given_names="Odile")
    fiche = validated_fiche(world["sein"], patient=patient, comments="Madame Lefebvre, récidive locale.")
    validated_fiche(world["thorax"], comments="Récidive locale.")
    client.force_login(world["epi"])
    response = client.get(SEARCH, {"q": "recidive"})
    page = response.content.decode()
    assert len(response.context["result"].rows) == 2
    row = next(r for r in response.context["result"].rows if r.fiche_id == fiche.pk)
    assert row.patient == pseudonym(patient.pk) and row.patient.startswith("P-")
    assert row.birth == str(patient.birth_date.year) and row.ins == "" and row.url == ""
    assert "Lefebvre" not in page and "LEFEBVRE" not in page and (not patient.ins_matricule or patient.ins_matricule not in page)
    assert "[…]" in row.excerpt_html
    assert pseudonym(patient.pk) == pseudonym(patient.pk) != pseudonym(patient.pk + 1)
    assert AuditEvent.objects.filter(action="fiche.search", patient_id=patient.pk,
                                     details__pseudonymised=True).count() == 1


@pytest.mark.parametrize("role", [Role.ADMIN_DSRC, Role.ADMIN_3C, Role.SYSADMIN, Role.DPO])
def test_administrators_and_the_dpo_never_search_clinical_text(client, world, role):
    validated_fiche(world["sein"])
    client.force_login(f.UserFactory(role=role))
    assert client.get(SEARCH, {"q": "adjuvant"}).status_code == 403
    assert client.get(reverse("infocentre_search:export", args=["csv"]), {"q": "adjuvant"}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="fiche.search").exists()


def test_exports_csv_and_xlsx_pseudonymised_and_audited(client, world):
    patient = f.PatientFactory(birth_name="Morel")
    validated_fiche(world["sein"], patient=patient, answers={"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif"}, form=world["form"])
    client.force_login(world["epi"])
    criteria = {"q": "HER2 positif", "board": world["sein"].pk}
    response = client.get(reverse("infocentre_search:export", args=["xlsx"]), criteria)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    header, *rows = list(book["Données"].values)
    assert "Pseudonyme" in header and "Matricule INS" not in header and "Année de naissance" in header
    assert len(rows) == 1 and rows[0][header.index("Pseudonyme")] == pseudonym(patient.pk)
    assert "HER2 positif" in rows[0][header.index("Marqueurs (formulaire d'organe)")]
    notes = [r[0] for r in book["Notes"].values]
    assert any("pseudonymisées" in n for n in notes) and any("RCP : RCP Sein" in n for n in notes)
    response = client.get(reverse("infocentre_search:export", args=["csv"]), criteria)
    text = response.content.decode("utf-8-sig")
    assert "Morel" not in text and "MOREL" not in text
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1][2] == pseudonym(patient.pk)
    assert AuditEvent.objects.filter(action="fiche.search_export", patient_id=patient.pk).count() == 2
    assert client.get(reverse("infocentre_search:export", args=["csv"])).status_code == 400


def test_a_doctor_exports_identified_rows(client, world):
    fiche = validated_fiche(world["sein"])
    client.force_login(world["doctor"])
    response = client.get(reverse("infocentre_search:export", args=["csv"]), {"board": world["sein"].pk})
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert header[2:4] == ["Patient", "Matricule INS"] and row[2] == fiche.patient.display_name


def test_saved_searches_are_per_user(client, world):
    client.force_login(world["epi"])
    response = client.post(reverse("infocentre_search:save"),
                           {"name": "  HER2  sein ", "q": "her2 positif", "board": world["sein"].pk})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(owner=world["epi"])
    assert saved.name == "HER2 sein" and "q=her2+positif" in saved.query
    assert AuditEvent.objects.filter(action="infocentre.saved_search_create").count() == 1
    page = client.get(SEARCH).content.decode()
    assert "HER2 sein" in page
    assert client.post(reverse("infocentre_search:save"), {"name": "vide"}).status_code == 302
    assert SavedSearch.objects.count() == 1  # no criteria: refused
    client.force_login(world["doctor"])
    assert "HER2 sein" not in client.get(SEARCH).content.decode()
    assert client.post(reverse("infocentre_search:delete_saved", args=[saved.pk])).status_code == 404
    client.force_login(world["epi"])
    client.post(reverse("infocentre_search:delete_saved", args=[saved.pk]))
    assert not SavedSearch.objects.exists()


def test_fts5_query_is_never_raw_syntax():
    assert search_backend.fts5_query('métastases OR "x" NEAR(a b) -c') == (
        '"métastas"* "or"* "x"* "near"* "a"* "b"* "c"*')


def test_broad_searches_stop_counting_and_exports_say_they_were_cut(client, world, monkeypatch):
    from oncodcc.infocentre import search

    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    monkeypatch.setattr(search, "PAGE_SIZE", 1)
    monkeypatch.setattr(search, "EXPORT_LIMIT", 2)
    for days in (3, 2, 1):
        validated_fiche(world["sein"], days_ago=days)
    client.force_login(world["epi"])
    response = client.get(SEARCH, {"board": world["sein"].pk, "page": "9"})
    result = response.context["result"]
    assert (result.total, result.more, result.pages, result.page) == (2, True, 2, 2)
    assert "Plus de 2 fiches trouvées" in response.content.decode()
    response = client.get(reverse("infocentre_search:export", args=["xlsx"]), {"board": world["sein"].pk})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(list(book["Données"].values)) == 3  # the header and the 2 newest
    assert any("Export limité aux 2 fiches" in (r[0] or "") for r in book["Notes"].values)


def test_stats_refresh_rebuilds_the_search_index(world):
    from django.core.management import call_command

    fiche = validated_fiche(world["sein"], comments="Récidive locale.")
    FicheSearchDocument.objects.all().delete()
    out = io.StringIO()
    call_command("stats", "refresh", stdout=out)
    assert "Index de recherche des fiches reconstruit : 1 fiche." in out.getvalue()
    assert set(Fiche.objects.filter(pk__in=search_backend.matching_fiches("recidive"))) == {fiche}


def test_marker_choices_follow_the_published_forms(world):
    from oncodcc.infocentre.search_form import marker_choices
    from tests.questionnaires.helpers import FORMS_DIR

    groups = dict(marker_choices())
    assert any(label == "Statut HER2 retenu : HER2 positif" for _, label in groups["Fiche RCP — Sein"])
    assert not any("EGFR" in label for options in groups.values() for _, label in options)
    organ_forms.publish(parse(json.loads((FORMS_DIR / "thorax.json").read_text(encoding="utf-8"))),
                        source="thorax.json")
    assert any("EGFR" in label for options in dict(marker_choices()).values() for _, label in options)
