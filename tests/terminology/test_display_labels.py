"""Display labels: the reviewed wording people read, beside the national labels that documents carry."""

import re

import pytest

from oncodcc.terminology import valuesets as vs

# Value sets shown to people in lists and pages: each must have a reviewed label for every code.
REVIEWED = sorted(name for name in vs.all_names()
                  if name not in {vs.TOPOGRAPHY, vs.MORPHOLOGY, vs.DOCUMENT_TYPE})


@pytest.mark.parametrize("name", REVIEWED)
def test_every_code_of_a_reviewed_value_set_has_exactly_one_label(name):
    codes = {c.code for c in vs.get(name).concepts}
    labels = vs.reviewed_labels(name)
    assert set(labels) == codes, f"{name}: missing {codes - set(labels)}, unknown {set(labels) - codes}"


@pytest.mark.parametrize("name", vs.all_names())
def test_labels_read_as_french_sentences(name):
    for concept in vs.get(name).concepts:
        label = concept.label
        assert label and label == label.strip(), (name, concept.code)
        assert label[0] == label[0].upper(), (name, concept.code, label)
        if name in REVIEWED:
            # No national machine wording left: inclusive forms, the "(SM)" suffix, "Médecin - " prefixes.
            assert not re.search(r"\((e|le|s)\)|\(SM\)|^Médecin - |\bopt\b", label), (name, concept.code, label)


def test_the_defects_seen_by_testers_are_gone_from_pages_but_kept_in_documents():
    assert vs.label(vs.WHO_PERFORMANCE, "MED-240").startswith("OMS 0")
    assert vs.display(vs.WHO_PERFORMANCE, "MED-240") == "Echelle de performance OMS Stade 0"
    assert vs.label(vs.NATURE_DISCUSSION, vs.NATURE_ORGAN) == "RCP d'organe"
    assert vs.label(vs.SPECIALTY, "G15_10/SM36") == "Oncologie médicale"
    assert vs.label(vs.CARE_STRUCTURE, "ORG-060") == "Lieu de prise en charge en oncogériatrie"
    assert vs.label(vs.LATERALITY, "30730003") == "Sagittal"
    assert vs.label(vs.SUPPORTIVE_CARE, "GEN-092.04.07") == "Autres soins de support"
    # Choices (forms, model fields) use the labels; unknown codes show as themselves.
    assert ("ORG-117", "RCP d'organe") in vs.get(vs.NATURE_DISCUSSION).choices()
    assert vs.label(vs.SPECIALTY, "XYZ") == "XYZ"


def test_large_classifications_keep_their_national_wording_capitalised():
    concept = vs.get(vs.TOPOGRAPHY).by_code["C50.4"]
    assert concept.label == concept.display[:1].upper() + concept.display[1:]
