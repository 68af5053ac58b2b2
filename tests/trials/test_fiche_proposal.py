"""Proposing a registry trial in the fiche: the choice records the trial (Fiche.proposed_trial) and its ids in the
detail; only open trials are offered; answering "no" clears it."""

import pytest

from oncodcc.rcp.models import Fiche
from oncodcc.rcp.services import fiches as services
from oncodcc.rcp.services.fiches import FicheInput, FicheValidationError
from oncodcc.trials.models import Trial
from tests.rcp.test_fiche_views import client_for, edit_url, rendered_form


@pytest.fixture
def draft(registration, member_doctor):
    return services.start(actor=member_doctor, registration=registration)


@pytest.fixture
def trials(db):
    return (Trial.objects.create(eu_ct_number="2024-510001-11-00", nct_id="NCT06000001", acronym="HER2-LOW",
                                 title="T-DXd dans le cancer du sein HER2-faible"),
            Trial.objects.create(nct_id="NCT06000002", title="Essai clos", status=Trial.Status.CLOSED))


def test_choosing_a_trial_records_it_and_its_ids(draft, member_doctor, trials):
    client = client_for(member_doctor)
    data = rendered_form(client, draft, trial_proposed="True", proposed_trial_id=str(trials[0].pk), trial_detail="")
    assert client.post(edit_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.proposed_trial == trials[0]
    assert draft.trial_detail == "HER2-LOW — T-DXd dans le cancer du sein HER2-faible (2024-510001-11-00)"
    # Answering "no" afterwards clears the trial with the detail.
    data = rendered_form(client, draft, trial_proposed="False")
    assert client.post(edit_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.proposed_trial is None and draft.trial_detail == ""


def test_a_closed_trial_is_not_offered(draft, member_doctor, trials):
    client = client_for(member_doctor)
    page = client.get(edit_url(draft)).content.decode()
    assert "HER2-LOW" in page and "Essai clos" not in page
    data = rendered_form(client, draft, trial_proposed="True", proposed_trial_id=str(trials[1].pk))
    response = client.post(edit_url(draft), data)
    assert response.status_code == 400  # the form comes back with its errors
    assert "proposed_trial_id" in response.context["editor"].form.errors
    draft.refresh_from_db()
    assert draft.proposed_trial is None and draft.lock_version == 0


def test_the_service_refuses_an_unknown_trial(draft, member_doctor):
    fields = {name: getattr(draft, name) for name in Fiche.EDITABLE_FIELDS}
    with pytest.raises(FicheValidationError) as exc:
        services.save(actor=member_doctor, fiche=draft, expected_version=0,
                      data=FicheInput(fields={**fields, "trial_proposed": True, "proposed_trial_id": 987654}))
    assert exc.value.message_dict["proposed_trial_id"] == ["Cet essai n'existe pas dans le registre régional."]


def test_the_possible_trials_come_first_in_the_fiche_form(draft, member_doctor, trials):
    """The draft is a breast case (board organs): a lung trial is offered among the others, not as possible."""
    lung = Trial.objects.create(nct_id="NCT06000003", title="Poumon EGFR", organs=["MED-255"])
    Trial.objects.filter(pk=trials[0].pk).update(organs=["76752008"])
    response = client_for(member_doctor).get(edit_url(draft))
    choices = response.context["editor"].form.fields["proposed_trial_id"].choices
    assert choices[1] == ("Essais possibles pour ce dossier", [(str(trials[0].pk), str(Trial.objects.get(
        pk=trials[0].pk)))])
    assert choices[2] == ("Autres essais du registre", [(str(lung.pk), str(lung))])


def test_the_api_proposes_a_registry_trial_and_refuses_an_unknown_one(registration, member_doctor, trials):
    import json

    from django.test import Client

    from tests import factories as f

    fiche = f.complete_fiche(registration, created_by=member_doctor)
    client = Client()
    client.force_login(member_doctor)

    def put(body):
        return client.put(f"/api/v1/fiches/{fiche.pk}", data=json.dumps(body), content_type="application/json")

    response = put({"lock_version": 0, "proposed_trial_id": 987654, "trial_proposed": True, "trial_detail": "X"})
    assert response.status_code == 400
    assert response.json()["errors"]["proposed_trial_id"] == ["Cet essai n'existe pas dans le registre régional."]
    response = put({"lock_version": 0, "trial_proposed": True, "trial_detail": "HER2-LOW",
                    "proposed_trial_id": trials[0].pk})
    assert response.status_code == 200 and response.json()["proposed_trial_id"] == trials[0].pk
    # "No trial proposed" clears the registry trial too, whatever the writer sends.
    response = put({"lock_version": 1, "trial_proposed": False})
    assert response.status_code == 200 and response.json()["proposed_trial_id"] is None
