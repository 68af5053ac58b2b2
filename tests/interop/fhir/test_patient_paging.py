"""Broad FHIR Patient searches page (`_count`, next links, `_total`) instead of refusing (issue 16)."""

import pytest

from oncodcc.interop.fhir import patients as fhir_patients

from .conftest import ids, outcome, patient_resource

MATCHES = 9


def links(bundle: dict) -> dict:
    return {link["relation"]: link["url"] for link in bundle["link"]}


@pytest.fixture
def broad(api, hospital, monkeypatch):
    """Nine patients named Martin and three others; scan chunks of 2 candidates, the total counted within 4 of
    them: at this small scale, the shape of a common surname over a region."""
    created = []
    for n in range(MATCHES):
        response = api.post("Patient", patient_resource(hospital, ipp=f"M{n}", family="Martin", given=f"Anne{n}"))
        created.append(api.ok(response, 201)["id"])
    for n, family in enumerate(["Martinez", "Dupont", "Durand"]):
        api.ok(api.post("Patient", patient_resource(hospital, ipp=f"O{n}", family=family, given="Paul")), 201)
    monkeypatch.setattr(fhir_patients, "SCAN_CHUNK", 2)
    monkeypatch.setattr(fhir_patients, "TOTAL_WITHIN", 4)
    return created


def follow(api, url: str) -> dict:
    return api.search(url.replace("http://testserver/fhir/", ""))


def test_a_broad_name_search_pages_without_total_and_every_page_is_reached(api, broad):
    first = api.search("Patient", {"family:exact": "Martin", "_count": "4"})
    assert "total" not in first, "not counted beyond the first candidates"
    assert len(first["entry"]) == 4 and "_total" not in links(first)["next"]
    assert "family:exact=Martin" in links(first)["next"] and "_offset=4" in links(first)["next"]
    seen, page = ids(first), first
    while "next" in links(page):
        page = follow(api, links(page)["next"])
        seen += ids(page)
    assert sorted(seen) == sorted(broad), "each match once, none lost between pages"
    assert "total" in page and page["total"] == MATCHES, "the last page knows the total"


def test_total_accurate_counts_and_total_none_spares_it(api, broad):
    accurate = api.search("Patient", {"family": "martin", "_count": "2", "_total": "accurate"})
    assert accurate["total"] == MATCHES + 1, "Martinez starts with martin"
    assert "_total=accurate" in links(accurate)["next"]
    unfiltered = api.search("Patient", {"_count": "5", "_total": "none"})
    assert "total" not in unfiltered and len(unfiltered["entry"]) == 5 and "next" in links(unfiltered)
    last = api.search("Patient", {"_count": "5", "_offset": "10", "_total": "none"})
    assert len(last["entry"]) == 2 and "next" not in links(last)
    counted = api.search("Patient", {"_count": "5"})
    assert counted["total"] == MATCHES + 3


def test_count_is_capped_and_total_hint_checked(api, broad):
    capped = api.search("Patient", {"_count": "500"})
    assert "_count=200" in links(capped)["self"] and len(capped["entry"]) == MATCHES + 3
    default = api.search("Patient", {"given": "anne"})
    assert "_count=50" in links(default)["self"]
    outcome(api.get("Patient", {"family": "martin", "_total": "tout"}), 400)
