"""The FRCP CDA's trial entry ("essai-clinique") carries the registry trial chosen in the fiche, and still passes
the ANS kit."""

from oncodcc.trials.models import Trial
from tests.documents.test_cda_frcp import assert_valid, organ_case, write, xp  # noqa: F401  (organ_case: fixture)


def test_the_proposed_trial_and_its_ids_travel_in_the_cda(organ_case, tmp_path):  # noqa: F811
    fiche = organ_case
    trial = Trial.objects.create(eu_ct_number="2024-510001-11-00", nct_id="NCT06000001", acronym="HER2-LOW",
                                 title="T-DXd dans le cancer du sein HER2-faible")
    Trial.objects.filter(pk=trial.pk).update(status=Trial.Status.CLOSED)  # closed since: the document keeps it
    type(fiche).objects.filter(pk=fiche.pk).update(trial_proposed=True, trial_detail="HER2-LOW",
                                                   proposed_trial=trial)
    fiche.refresh_from_db()
    path, doc = write(tmp_path, "trial", fiche)
    assert xp(doc, "//cda:observation[cda:code/@code='MED-250']/cda:value/@value") == ["true"]
    detail = xp(doc, "string(//*[@ID='essai-clinique-detail'])")
    assert detail == "HER2-LOW [EU CT 2024-510001-11-00; NCT NCT06000001]"
    assert xp(doc, "//cda:act[cda:text/cda:reference/@value='#essai-clinique-detail']")
    assert_valid(path)
