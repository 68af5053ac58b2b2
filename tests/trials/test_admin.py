"""The trials admin: list fields typed with `|`, criteria checked on save (French errors), each change audited."""

from oncodcc.audit.models import AuditEvent
from oncodcc.trials.models import Trial
from tests import factories as f
from tests.audit.admin_forms import page_data


def test_add_and_change_a_trial_in_the_admin(db, client):
    admin = f.UserFactory(role="admin_dsrc", is_staff=True)
    client.force_login(admin)
    hospital = f.OrganisationFactory(name="CHU de Démo", finess="750712184")
    url = "/admin/trials/trial/add/"
    data = page_data(client, url) | {
        "nct_id": "NCT06000001", "title": "T-DXd HER2-faible", "acronym": "HER2-LOW", "phase": "III",
        "status": "open", "organs": "76752008", "topographies": "C50", "stages": "IV | IIIC", "lines": "2+",
        "biomarkers": "her2_statut=low | re_statut!=pos", "min_age": "18", "max_performance_status": "1",
        "sites-0-organisation": str(hospital.pk), "sites-0-investigator": "Dr Anne Martin",
        "sites-0-contact": "arc@demo.fr",
    }
    bad = client.post(url, data | {"biomarkers": "her2=faible"})
    assert bad.status_code == 200 and not Trial.objects.exists()
    assert "« her2 » n&#x27;est pas un item des colonnes de statistiques" in bad.content.decode()
    assert client.post(url, data).status_code == 302
    trial = Trial.objects.get()
    assert trial.stages == ["IV", "IIIC"] and trial.biomarkers == ["her2_statut=low", "re_statut!=pos"]
    assert trial.sites.get().investigator == "Dr Anne Martin"
    added = AuditEvent.objects.get(action="admin.add", object_type="trials.trial")
    assert added.actor_id == admin.pk

    change = f"/admin/trials/trial/{trial.pk}/change/"
    assert client.post(change, page_data(client, change) | {"status": "closed"}).status_code == 302
    assert AuditEvent.objects.get(action="admin.change", object_type="trials.trial").details["fields"] == ["status"]
