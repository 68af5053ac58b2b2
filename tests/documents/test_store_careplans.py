"""A validated PPS becomes a document of the store (PDF/A and CDA R2 PPS); the hand-over re-renders it."""

import pytest
from django.utils import timezone

from oncodcc.careplans import services
from oncodcc.documents.models import Document, Rendering
from tests.careplans.test_services import fiche, plan  # noqa: F401 (fixtures)


@pytest.fixture
def validated_plan(plan, member_doctor, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        return services.validate(actor=member_doctor, plan=plan)


def test_validated_pps_is_stored_and_rendered(validated_plan):
    document = Document.objects.get(care_plan=validated_plan)
    assert (document.kind, document.type_code, document.version_number) == ("pps", "18776-5", 1)
    renderings = {r.format: r for r in document.renderings.all()}
    assert set(renderings) == {"pdf", "cda"}
    for rendering in renderings.values():
        assert rendering.state == Rendering.State.READY, rendering.error


def test_hand_over_renders_the_document_again(validated_plan, member_doctor, django_capture_on_commit_callbacks):
    document = Document.objects.get(care_plan=validated_plan)
    before = document.renderings.get(format="cda").sha256
    with django_capture_on_commit_callbacks(execute=True):
        services.hand_over(actor=member_doctor, plan=validated_plan, date=timezone.localdate(),
                           by=member_doctor.practitioner)
    after = document.renderings.get(format="cda")
    assert after.state == Rendering.State.READY and after.sha256 != before


def test_pps_page_offers_its_documents(client, validated_plan, member_doctor):
    document = Document.objects.get(care_plan=validated_plan)
    client.force_login(member_doctor)
    page = client.get(f"/pps/{validated_plan.pk}/").content.decode()
    assert f"/documents/{document.pk}/pdf/" in page and f"/documents/{document.pk}/cda/" in page
    pdf = client.get(f"/documents/{document.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
