"""The indexed patient search (issue 16) answers exactly what the former single query answered — name ORed with the
IPP, ANDed with the birth date and the user's access rules — whatever the path (ids list or subquery), in a bounded
number of queries."""

from datetime import date

import pytest
from django.db.models import Q

from oncodcc.core.text import fold
from oncodcc.patients import selectors
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier
from oncodcc.patients.policy import patient_scope
from tests import factories as f

pytestmark = pytest.mark.django_db

BORN = date(1961, 4, 17)
NAMES = ["Martin", "Martinez", "Bernard", "Dubois", "Lefèvre", "Petit"]
QUERIES = ["martin", "MARTIN", "mart", "bernard", "lefevre", "dub ois", "IPP-0003", "IPP-0004", "IPP-0006", "1610475123406",
           "161047512340667", "zzz", "-", "martin 17/04/1961", "17/04/1961", "e"]


def former_search(user, query: selectors.SearchQuery) -> list[Patient]:
    """The query as written before issue 16 (one statement, the criteria ORed), kept here as the reference."""
    criteria = Q()
    tokens = fold(query.text).split()
    compact = query.text.replace(" ", "")
    id_filter = None
    if query.text.strip() and compact and len(compact) <= 64:
        id_filter = Q(pk__in=PatientIdentifier.objects.filter(value=compact).values("patient_id"))
        if compact.isalnum() and len(compact) in (13, 15):
            id_filter |= Q(ins_matricule=compact) | Q(ins_matricule__startswith=compact[:13])
    name_filter = Q()
    for token in tokens:
        name_filter &= Q(search_text__contains=token)
    if tokens:
        criteria &= (name_filter | id_filter) if id_filter is not None else name_filter
    if query.birth_date:
        criteria &= Q(birth_date=query.birth_date)
    return list(Patient.objects.filter(merged_into__isnull=True).filter(criteria).filter(patient_scope(user))
                .order_by("birth_name", "first_birth_given_name", "birth_date")[:selectors.MAX_RESULTS + 1])


@pytest.fixture
def region():
    """Eighteen patients sharing six names, half of them the doctor's (care team, GP or created by them), IPPs,
    INS, one merged record."""
    doctor = f.DoctorFactory()
    hospital = f.OrganisationFactory()
    patients = []
    for n in range(18):
        patient = f.PatientFactory(
            birth_name=NAMES[n % len(NAMES)], birth_date=BORN if n % 4 == 0 else date(1950 + n, 1, 2),
            ins_matricule=f"16104751234{n:02d}67"[:15] if n % 3 == 0 else "", ins_oid=OID_INS_NIR if n % 3 == 0 else "",
            created_by=doctor.__class__.objects.get(pk=doctor.pk) if n % 5 == 0 else None,
            gp=doctor.practitioner if n % 7 == 0 else None,
        )
        PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value=f"IPP-{n:04d}",
                                         organisation=hospital)
        if n % 2 == 0:
            CareTeamMember.objects.create(patient=patient, practitioner=doctor.practitioner)
        patients.append(patient)
    patients[4].merged_into = patients[2]
    patients[4].save()
    return doctor


@pytest.mark.parametrize("text", QUERIES)
def test_same_results_as_the_former_query(region, text):
    query = selectors.parse_query(text)
    expected = former_search(region, query)
    assert selectors.search_patients(user=region, query=query).accessible == expected[:selectors.MAX_RESULTS]


@pytest.mark.parametrize("text", ["martin", "1610475123406", "17/04/1961", "-"])
def test_same_results_when_the_candidates_stay_a_subquery(region, text, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_CANDIDATE_IDS", 1)
    query = selectors.parse_query(text)
    assert selectors.search_patients(user=region, query=query).accessible == former_search(region, query)


def test_the_search_needs_a_bounded_number_of_queries(region, django_assert_max_num_queries):
    query = selectors.parse_query("martin")
    assert selectors.search_patients(user=region, query=query).accessible, "the test searches something"
    with django_assert_max_num_queries(12):
        selectors.search_patients(user=region, query=query)


def test_the_reference_finds_something_for_most_queries(region):
    """Guards the comparison above against a fixture where every answer is empty."""
    found = {text: len(former_search(region, selectors.parse_query(text))) for text in QUERIES}
    assert found["martin"] >= 2 and found["IPP-0006"] == 1 and found["IPP-0004"] == 0 and found["1610475123406"] == 1
    assert found["161047512340667"] == 1 and found["martin 17/04/1961"] >= 1 and found["IPP-0003"] == 0, "not the doctor's"
    assert sum(1 for count in found.values() if count) >= 10
