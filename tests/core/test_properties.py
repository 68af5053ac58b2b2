"""Property-based checks (hypothesis) at the edges where people type: names, search text, INS, API bodies."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncodcc.core.text import fold
from oncodcc.patients import identity, selectors
from oncodcc.patients.models import OID_INS_NIR
from tests import factories as f

texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@given(texts)
def test_fold_is_idempotent_and_plain(value):
    folded = fold(value)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded
    assert all(ch.isascii() for ch in folded)


@pytest.mark.parametrize(("a", "b"), [("Éloïse", "eloise"), ("D'AUBIGNÉ", "d aubigne"), ("Lætitia", "laetitia"),
                                      ("Œdipe", "oedipe"), ("Müller-Schmidt", "muller schmidt")])
def test_fold_examples(a, b):
    assert fold(a) == b


@given(st.text(max_size=20))
def test_ins_check_either_accepts_or_says_why(value):
    try:
        assert len(identity.clean_ins(value, OID_INS_NIR)) == 15
    except identity.InvalidINS as exc:
        assert str(exc)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=texts)
def test_search_accepts_any_text(query):
    user = f.DoctorFactory()
    results = selectors.search_patients(user=user, query=selectors.parse_query(query))
    assert results.accessible == [] or all(p.pk for p in results.accessible)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["lock_version", "case_summary", "phase", "screening", "organs",
                                             "tumours", "treatments", "trial_proposed", "who_performance"]),
                            st.one_of(st.none(), st.booleans(), st.integers(), texts,
                                      st.lists(st.dictionaries(texts, texts, max_size=3), max_size=2)),
                            max_size=6))
def test_fiche_api_never_answers_a_server_error(client, body):
    registration = f.RegistrationFactory()
    doctor = f.DoctorFactory()
    f.add_member(registration.meeting.board, doctor.practitioner)
    fiche = f.complete_fiche(registration, created_by=doctor)
    client.force_login(doctor)
    response = client.put(f"/api/v1/fiches/{fiche.pk}", data=body, content_type="application/json")
    assert response.status_code < 500, response.content
