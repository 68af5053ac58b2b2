"""The after-cancer plan (PPAC): opened from the validated PPS once active treatment has ended."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from oncodcc.careplans import services
from oncodcc.careplans.models import CarePlan
from oncodcc.careplans.services import CarePlanValidationError
from oncodcc.documents.models import Document
from tests.careplans.test_services import fiche, plan  # noqa: F401 (fixtures)


@pytest.fixture
def ended_pps(plan, member_doctor):  # noqa: F811
    CarePlan.objects.filter(pk=plan.pk).update(all_treatments_stopped=True,
                                               treatments_stopped_on=timezone.localdate(),
                                               follow_up_text="Consultation tous les 6 mois, mammographie annuelle.")
    plan.refresh_from_db()
    return services.validate(actor=member_doctor, plan=plan)


def test_ppac_from_a_pps_whose_treatments_ended(ended_pps, member_doctor, django_capture_on_commit_callbacks,
                                                 settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ppac = services.create_ppac(actor=member_doctor, plan=ended_pps)
    assert (ppac.kind, ppac.status, ppac.fiche_id) == ("PPAC", "draft", None)
    assert ppac.follow_up_text.startswith("Consultation tous les 6 mois")
    assert ppac.contacts.count() == ended_pps.contacts.count()
    assert services.create_ppac(actor=member_doctor, plan=ended_pps) == ppac  # one at a time
    with django_capture_on_commit_callbacks(execute=True):
        services.validate(actor=member_doctor, plan=ppac)
    document = Document.objects.get(care_plan=ppac)
    # PDF/A, and the level-1 CDA carrying it (no national PPAC volet): the diffusion channels take CDA only.
    assert document.kind == "ppac" and sorted(r.format for r in document.renderings.all()) == ["cda", "pdf"]
    assert {r.state for r in document.renderings.all()} == {"ready"}


def test_no_ppac_while_treatments_go_on(plan, member_doctor, outsider):  # noqa: F811
    validated = services.validate(actor=member_doctor, plan=plan)
    with pytest.raises(CarePlanValidationError) as exc:
        services.create_ppac(actor=member_doctor, plan=validated)
    assert "arrêt de tous les traitements" in str(exc.value)
    with pytest.raises(PermissionDenied):
        services.create_ppac(actor=outsider, plan=validated)


def test_ppac_button_and_view(client, ended_pps, member_doctor):
    client.force_login(member_doctor)
    assert "Créer le PPAC" in client.get(f"/pps/{ended_pps.pk}/").content.decode()
    response = client.post(f"/pps/{ended_pps.pk}/ppac/")
    ppac = CarePlan.objects.get(kind="PPAC")
    assert response.status_code == 302 and response["Location"] == f"/pps/{ppac.pk}/modifier/"
