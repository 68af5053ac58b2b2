"""Withdrawing a generated document (*Retirer le document*): who may, what it refuses, what it leaves behind.
The deliveries of the cancellation on the three channels: tests/diffusion/test_all_channels_end_to_end.py."""

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.core.policy import has_permission
from oncodcc.documents import services
from oncodcc.documents.models import Document
from oncodcc.documents.policy import WITHDRAW
from tests import factories as f
from tests.diffusion.conftest import fiche_case  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(fiche_case):  # noqa: F811
    fiche, doctor = fiche_case
    return services.register_fiche(fiche, actor=doctor)


def test_who_may_withdraw_a_fiche(document, fiche_case):  # noqa: F811
    fiche, coordinator = fiche_case
    board = fiche.registration.meeting.board
    absent_member = f.DoctorFactory()
    f.add_member(board, absent_member.practitioner)
    secretary = f.UserFactory(role="secretary", organisation=board.managing_3c)
    admin = f.UserFactory(role="admin_3c", organisation=board.managing_3c)
    assert has_permission(coordinator, WITHDRAW, document)
    for user in (absent_member, secretary, admin, f.DoctorFactory()):
        assert not has_permission(user, WITHDRAW, document), user.role


def test_a_pps_is_withdrawn_by_a_doctor_of_the_record_and_a_received_document_never(fiche_case):  # noqa: F811
    from oncodcc.careplans import services as plans

    fiche, doctor = fiche_case
    plan = plans.validate(actor=doctor, plan=plans.create_from_fiche(actor=doctor, fiche=fiche,
                                                                     referring_doctor=doctor.practitioner))
    pps = Document.objects.get(care_plan=plan)
    assert has_permission(doctor, WITHDRAW, pps)
    assert not has_permission(f.DoctorFactory(), WITHDRAW, pps)
    received = Document.objects.create(kind="received", type_code="11526-1", title="CR ACP", patient=fiche.patient,
                                       set_id=fiche.set_id.__class__(int=7), version_number=1)
    assert not has_permission(doctor, WITHDRAW, received)
    with pytest.raises(services.WithdrawalError, match="émetteur"):
        services.withdraw(received, actor=doctor, reason="Erreur de patient")


def test_withdrawal_refuses_without_reason_and_twice(document, fiche_case):  # noqa: F811
    _fiche, coordinator = fiche_case
    with pytest.raises(services.WithdrawalError, match="motif"):
        services.withdraw(document, actor=coordinator, reason=" \n ")
    document.refresh_from_db()
    assert document.status == "current" and not AuditEvent.objects.filter(action="document.withdraw").exists()
    services.withdraw(document, actor=coordinator, reason="Mauvais patient")
    with pytest.raises(services.WithdrawalError, match="version en vigueur"):
        services.withdraw(document, actor=coordinator, reason="Mauvais patient")
    assert AuditEvent.objects.filter(action="document.withdraw", patient_id=document.patient_id).count() == 1


def test_the_page_refuses_others_with_403(document, client):
    client.force_login(f.DoctorFactory())
    assert client.get(f"/documents/{document.pk}/retirer/").status_code == 403
    assert client.post(f"/documents/{document.pk}/retirer/", {"reason": "Mauvais patient"}).status_code == 403
    document.refresh_from_db()
    assert document.status == "current"
