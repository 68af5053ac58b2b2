"""`dcc terminology check`: the coded fields registered by the apps (rcp's fiche, tumour and treatment fields) are
checked against their value set; terminology knows them only through the registry."""

import pytest

from oncodcc.terminology.loader import CODED_FIELDS, unknown_codes
from tests import factories as f


def test_rcp_registers_its_coded_fields():
    labels = {(label, field) for label, field, _ in CODED_FIELDS}
    assert {("rcp.Tumour", "topography"), ("rcp.ProposedTreatment", "code"), ("rcp.Fiche", "phase")} <= labels


@pytest.mark.django_db
def test_a_stored_code_outside_its_value_set_is_reported(member_doctor, registration):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    assert unknown_codes() == {}
    type(fiche).objects.filter(pk=fiche.pk).update(phase="PH-XX")
    assert unknown_codes() == {"rcp.Fiche.phase": 1}
