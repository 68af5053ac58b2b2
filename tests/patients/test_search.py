"""The patient search screen: criteria, restricted matches, audit, htmx partial, bad input."""

from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, PatientIdentifier
from tests import factories as f

pytestmark = pytest.mark.django_db

ANS_TEST_INS = "279035121518989"  # sex 2, born 03/1979: consistent with the traits below
URL = "/patients/"


@pytest.fixture
def eloise():
    patient = f.PatientFactory(
        birth_name="Lefèvre", birth_given_names="Éloïse Marie", first_birth_given_name="Éloïse",
        used_name="Martin-Ségur", birth_date=date(1979, 3, 12), sex="F",
        ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR, identity_status="QUAL",
    )
    hospital = f.OrganisationFactory()
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP778899", organisation=hospital)
    return patient


@pytest.fixture
def carer(eloise):
    user = f.DoctorFactory()
    CareTeamMember.objects.create(patient=eloise, practitioner=user.practitioner)
    return user


def search(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("text", ["eloise", "ELOÏSE", "lefev", "LEFEVRE eloise", "martin", "segur", "Martin-Ségur"])
def test_partial_birth_or_used_name_accent_and_case_insensitive(client, carer, eloise, text):
    response = search(client, carer, q=text)
    assert eloise in response.context["results"].accessible
    assert f'href="/patients/{eloise.pk}/"' in response.content.decode()


def test_result_row_shows_identity_badge_birth_date_and_sex(client, carer, eloise):
    html = search(client, carer, q="eloise").content.decode()
    assert "identity-status badge identity-QUAL" in html
    assert "12/03/1979" in html
    assert "Féminin" in html
    assert "MARTIN-SÉGUR née LEFÈVRE" in html


def test_potential_duplicate_is_flagged(client, carer, eloise):
    eloise.identity_flags = ["DPOT"]
    eloise.save()
    assert "doublon potentiel" in search(client, carer, q="eloise").content.decode()


def test_birth_date_typed_in_the_text(client, carer, eloise):
    other = f.PatientFactory(birth_name="Lefèvre", birth_date=date(1980, 1, 1))
    CareTeamMember.objects.create(patient=other, practitioner=carer.practitioner)
    results = search(client, carer, q="lefevre 12/03/1979").context["results"]
    assert results.accessible == [eloise]
    assert search(client, carer, q="12/03/1979").context["results"].accessible == [eloise]


def test_birth_date_field(client, carer, eloise):
    assert search(client, carer, birth_date="1979-03-12").context["results"].accessible == [eloise]
    assert search(client, carer, q="eloise", birth_date="12/03/1979").context["results"].accessible == [eloise]
    assert search(client, carer, q="eloise", birth_date="1979-03-13").context["results"].accessible == []


def test_by_ipp_and_by_ins(client, carer, eloise):
    assert search(client, carer, q="IPP778899").context["results"].accessible == [eloise]
    assert search(client, carer, q=ANS_TEST_INS).context["results"].accessible == [eloise]
    assert search(client, carer, q="2 79 03 51 215 189 89").context["results"].accessible == [eloise]


def test_restricted_matches_need_name_and_birth_date(client, eloise):
    outsider = f.DoctorFactory()
    response = search(client, outsider, q="lefevre eloise 12/03/1979")
    results = response.context["results"]
    assert results.accessible == []
    assert results.restricted == [eloise]
    html = response.content.decode()
    assert "Patients connus hors de vos dossiers" in html
    assert f'href="/patients/{eloise.pk}/bris-de-glace/"' in html
    assert f'href="/rcp/inscriptions/nouvelle/?patient={eloise.pk}"' in html
    assert "Accès en bris de glace" in html and "Inscrire en RCP" in html
    # No link to the record itself, no INS shown.
    assert f'href="/patients/{eloise.pk}/"' not in html
    assert ANS_TEST_INS not in html


def test_restricted_matches_by_identifier(client, eloise):
    outsider = f.DoctorFactory()
    # Another hospital's IPP is no door; the full INS is.
    assert search(client, outsider, q="IPP778899").context["results"].restricted == []
    assert search(client, outsider, q=ANS_TEST_INS).context["results"].restricted == [eloise]
    colleague = f.DoctorFactory()
    colleague.practitioner.organisations.add(eloise.identifiers.get().organisation)
    assert search(client, colleague, q="IPP778899").context["results"].restricted == [eloise]


@pytest.mark.parametrize("params", [{"q": "lefev"}, {"q": "eloise"}, {"q": "martin"}, {"birth_date": "1979-03-12"}])
def test_never_restricted_matches_on_weak_criteria(client, eloise, params):
    outsider = f.DoctorFactory()
    response = search(client, outsider, **params)
    assert response.context["results"].accessible == []
    assert response.context["results"].restricted == []
    html = response.content.decode()
    assert "Patients connus hors de vos dossiers" not in html
    assert "Lefèvre".upper() not in html


def test_no_restricted_matches_for_roles_that_cannot_register(client, eloise):
    dpo = f.UserFactory(role="dpo")
    response = search(client, dpo, q="lefevre eloise 12/03/1979")
    assert response.context["results"].restricted == []
    assert "Inscrire en RCP" not in response.content.decode()


def test_one_audit_event_per_search(client, carer, eloise):
    search(client, carer, q="eloise")
    # One event per patient shown, linked to that patient: it appears in the patient's access history.
    events = AuditEvent.objects.filter(action="patient.search", actor_id=carer.pk)
    assert events.count() == 1
    assert events.get().patient_id == eloise.pk
    # The typed query is never written to the trail.
    assert "eloise" not in str(events.get().details).lower()


def test_empty_query_shows_a_hint_and_no_list(client, carer, eloise):
    response = search(client, carer)
    assert response.context["results"] is None
    html = response.content.decode()
    assert 'id="search-hint"' in html
    assert "Créer un patient" in html
    assert not AuditEvent.objects.filter(action="patient.search").exists()


def test_htmx_request_gets_the_results_partial(client, carer, eloise):
    client.force_login(carer)
    response = client.get(URL, {"q": "eloise"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'href="/patients/{eloise.pk}/"' in html
    full = client.get(URL, {"q": "eloise"}).content.decode()
    assert 'hx-get="/patients/"' in full and 'hx-target="#search-results"' in full
    assert 'id="search-results"' in full


def test_history_restore_request_gets_the_full_page(client, carer, eloise):
    client.force_login(carer)
    response = client.get(URL, {"q": "eloise"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("params", [
    {"birth_date": "31/02/1979"}, {"birth_date": "pas une date"}, {"q": "abc\x00def"}, {"q": "x" * 500},
    {"q": "99/99/9999"}, {"q": "\x07lefevre"},
])
def test_bad_input_never_fails(client, carer, eloise, params):
    response = search(client, carer, **params)
    assert response.status_code == 200


def test_search_page_only_offers_creation_to_writers(client, eloise):
    dpo = f.UserFactory(role="dpo")
    assert "Créer un patient" not in search(client, dpo).content.decode()
    secretary = f.UserFactory(role="secretary")
    assert "Créer un patient" in search(client, secretary).content.decode()
