"""Identity vigilance at the keyboard, in the browser: a DSRC administrator reviews the worklist (sorted by tier)
with J / N / F and Ctrl+Enter — a probable duplicate merged, twins declared distinct (never proposed again)."""

from datetime import date

from playwright.sync_api import expect

from oncodcc.core.actors import SystemActor
from oncodcc.patients import inbound
from oncodcc.patients.models import PairDecision, Patient, PatientMerge
from tests import factories as f
from tests import samples

BIRTH = date(1952, 10, 7)


def arrive(hl7, hospital, ipp, **traits) -> Patient:
    data = {"birth_name": "Mercier", "birth_given_names": "Josiane", "birth_date": BIRTH, "sex": "F",
            "birthplace_insee": "31555"}
    return inbound.resolve(actor=hl7, organisation=hospital, channel="hl7",
                           incoming=inbound.IncomingIdentity(ipp=ipp, **{**data, **traits})).patient


def test_keyboard_review_merges_the_probable_and_separates_the_twins(page, live_server, login, transactional_db):
    f.UserFactory(username="idv.dsrc", role="admin_dsrc", organisation=f.DsrcFactory())
    hospital = samples.hospital(name="CH Clavier")
    hl7 = SystemActor(label="HL7 CH Clavier", role="hl7", organisation=hospital)
    known = arrive(hl7, hospital, "K-1")
    probable = arrive(hl7, hospital, "K-2", birth_date=date(1952, 7, 10))  # day and month swapped
    twin = arrive(hl7, hospital, "K-3", birth_given_names="Monique")
    assert probable.is_potential_duplicate and twin.is_potential_duplicate
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("dialog", lambda dialog: dialog.accept())

    login(page, "idv.dsrc")
    page.goto(f"{live_server.url}/patients/identitovigilance/")
    entries = page.locator("[data-vigilance-entry]")
    expect(entries).to_have_count(2)
    # Sorted by tier: the probable duplicate first, then the twins with their warning.
    expect(entries.nth(0)).to_have_id(f"dossier-{probable.pk}")
    expect(entries.nth(1).get_by_text("jumeaux ou homonymes possibles").first).to_be_visible()
    expect(entries.nth(0)).to_be_focused()

    # J: the twins; N: "pas un doublon", pre-filled; Ctrl+Enter submits (the confirmation is accepted).
    page.keyboard.press("j")
    expect(entries.nth(1)).to_be_focused()
    page.keyboard.press("n")
    expect(page.locator(f"#note-{twin.pk}")).to_be_focused()
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("signalement de doublon potentiel levé")).to_be_visible()
    low, high = sorted((known.pk, twin.pk))
    assert PairDecision.objects.filter(patient_low_id=low, patient_high_id=high).exists()

    # F on the remaining entry: merge into its first candidate, the reason pre-filled with tier and score.
    expect(entries).to_have_count(1)
    page.keyboard.press("f")
    reason = page.locator(f"#reason-{probable.pk}-{known.pk}")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("Même personne : probable, score " + reason.input_value().split("score ")[1])
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text(f"Dossier n° {probable.pk} fusionné dans le dossier n° {known.pk}")).to_be_visible()
    assert PatientMerge.objects.filter(survivor=known, absorbed=probable).exists()
    expect(page.get_by_text("Aucun doublon potentiel à examiner.")).to_be_visible()
    assert violations == []


def test_c_confirms_a_certain_candidate_in_one_key_never_twins(page, live_server, login, transactional_db):
    f.UserFactory(username="idv.dsrc", role="admin_dsrc", organisation=f.DsrcFactory())
    hospital = samples.hospital(name="CH Clavier")
    hl7 = SystemActor(label="HL7 CH Clavier", role="hl7", organisation=hospital)
    known = arrive(hl7, hospital, "K-1")
    same = arrive(hl7, hospital, "K-2", birth_name="MERCIER")  # every strict trait and the birthplace equal
    twin = arrive(hl7, hospital, "K-3", birth_given_names="Monique")
    page.on("dialog", lambda dialog: dialog.accept())

    login(page, "idv.dsrc")
    page.goto(f"{live_server.url}/patients/identitovigilance/")
    entries = page.locator("[data-vigilance-entry]")
    expect(entries.nth(0)).to_have_id(f"dossier-{same.pk}")  # the certain tier first
    page.keyboard.press("j")
    expect(entries.nth(1)).to_have_id(f"dossier-{twin.pk}")
    expect(entries.nth(1)).to_be_focused()
    page.keyboard.press("c")  # a twin: nothing happens
    expect(entries).to_have_count(2)
    assert not PatientMerge.objects.exists()
    page.keyboard.press("k")
    page.keyboard.press("c")
    expect(page.get_by_text(f"Dossier n° {same.pk} fusionné dans le dossier n° {known.pk}")).to_be_visible()
    merge = PatientMerge.objects.get()
    assert (merge.survivor_id, merge.absorbed_id) == (known.pk, same.pk)
    assert merge.reason.startswith("Même personne : certain, score ")
    expect(entries).to_have_count(1)
