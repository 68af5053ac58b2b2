"""Values read from received reports' conclusions (synthetic, realistic French phrasings): each item proposed once,
normalised, with the words it was read from; ambiguous phrasings propose nothing."""

import pytest

from oncodcc.documents.findings import read


def values(text: str) -> dict[str, str]:
    return {finding.key: finding.value for finding in read(text)}


@pytest.mark.parametrize(("text", "expected"), [
    ("Carcinome infiltrant de type non spécifique, grade SBR II. RE 90 %, RP 60 %, HER2 score 1+ (négatif). "
     "Ki67 15 %.",
     {"re": "90 %", "rp": "60 %", "her2": "1+ (HER2-faible)", "ki67": "15 %"}),
    ("Récepteurs aux œstrogènes positifs à 80 %, récepteurs à la progestérone négatifs. HER2 score 3+. "
     "Ki-67 à 30 %. pT2 N1a M0.",
     {"re": "80 %", "rp": "négatifs", "her2": "3+ (positif)", "ki67": "30 %", "tnm_t": "pT2", "tnm_n": "pN1a",
      "tnm_m": "cM0"}),
    ("Carcinome lobulaire infiltrant, RO : 100 %, RP : 5 %, HER2 : 2+, hybridation in situ non amplifiée.",
     {"re": "100 %", "rp": "5 %", "her2": "2+ (équivoque)"}),
    ("Reliquat tumoral après chimiothérapie néoadjuvante. ypT1a pN0(sn). RH+ HER2-.",
     {"her2": "négatif", "tnm_t": "ypT1a", "tnm_n": "ypN0(sn)"}),
    ("Carcinome canalaire infiltrant de 18 mm. Ganglion sentinelle indemne (0/2). pT1cN0(sn).",
     {"tnm_t": "pT1c", "tnm_n": "pN0(sn)"}),
    ("Adénocarcinome lieberkühnien, 2 ganglions envahis sur 16. pT3N1b. Statut MMR : protéines exprimées (pMMR).",
     {"tnm_t": "pT3", "tnm_n": "pN1b", "msi": "MSS (pMMR)"}),
    ("Perte d'expression de MLH1 et PMS2 en immunohistochimie. pT4a pN2a cM1a.",
     {"msi": "MSI (dMMR)", "tnm_t": "pT4a", "tnm_n": "pN2a", "tnm_m": "cM1a"}),
    ("Mutation KRAS p.G12D (exon 2) détectée. NRAS et BRAF V600E non mutés. Tumeur MSS.",
     {"kras": "muté (p.G12D)", "nras": "non muté", "braf": "non muté", "msi": "MSS (pMMR)"}),
    ("Adénocarcinome pulmonaire d'architecture acineuse, TTF1 positif. PD-L1 (22C3) : 60 % des cellules tumorales.",
     {"pdl1": "60 %"}),
    ("Délétion de l'exon 19 d'EGFR détectée. Pas de réarrangement ALK ni ROS1. KRAS non muté.",
     {"egfr": "muté (exon 19)", "alk": "non réarrangé", "ros1": "non réarrangé", "kras": "non muté"}),
    ("Mutation EGFR L858R (exon 21). Absence de mutation de BRAF.",
     {"egfr": "muté (L858R)", "braf": "non muté"}),
    ("Adénocarcinome prostatique acinaire sur 4 biopsies sur 12, score de Gleason 7 (3+4), ISUP 2.",
     {"gleason": "7 (3+4)", "isup": "2"}),
])
def test_usual_phrasings(text, expected):
    assert values(text) == expected


def test_each_finding_keeps_the_words_it_was_read_from():
    found = {f.key: f for f in read("Conclusion : RE 90 %,\nHER2 score 3+.\n\npT2 N1a M0.")}
    assert found["re"].evidence == "RE 90 %" and found["re"].label == "Récepteurs aux œstrogènes (RE)"
    assert found["her2"].evidence == "HER2 score 3+"
    assert found["tnm_m"].evidence == "pT2 N1a M0"


@pytest.mark.parametrize("text", [
    "",
    "Carcinome canalaire infiltrant. Pas de conclusion biologique.",
    # A negation and a mutation in the same clause for one gene: the doctor reads it, nothing is proposed.
    "Délétion de l'exon 19 de l'EGFR détectée, absence de mutation T790M",
    # Stable and unstable in the same text (a correction, two blocks): nothing reliable.
    "Tumeur MSS en PCR ; perte d'expression de MSH6 en immunohistochimie",
    # Words that merely look like items.
    "Patient suivi au CHU depuis 2019, TEP réalisée, pas d'autre antécédent.",
])
def test_nothing_is_proposed_when_nothing_reliable_is_written(text):
    assert values(text) == {}
