"""Values read from the conclusion of a received pathology or molecular report: hormone receptors, HER2, Ki-67,
PD-L1, the genes tested (EGFR, KRAS, NRAS, BRAF, ALK, ROS1), MSI/MMR, Gleason/ISUP and the pTNM.

Regular expressions for the usual French phrasings ("RE 90 %", "récepteurs aux œstrogènes positifs à 90 %",
"HER2 score 3+", "Ki67 à 15 %", "pT2 N1a M0", "Mutation KRAS p.G12D détectée", "EGFR non muté"…). They only
*propose*: the doctor accepts each value beside the fiche, seeing the report and its date, so an expression that
misses a phrasing leaves the item empty rather than filling it wrongly — when a phrasing is ambiguous (a negation
and a mutation in the same clause for one gene), nothing is proposed for that item."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    key: str  # stable name of the item: "re", "her2", "tnm_t", "egfr"…
    label: str  # French label shown beside the fiche
    value: str  # the value proposed, normalised ("90 %", "3+ (positif)", "pT2", "muté (p.G12D)")
    evidence: str  # the words of the conclusion it was read from


_PERCENT = r"(?:à|:|=|de)?\s*(\d{1,3}(?:[.,]\d)?)\s*%"
_RECEPTORS = [
    ("re", "Récepteurs aux œstrogènes (RE)", r"\bR[EO]\b|r[ée]cepteurs?\s+(?:aux\s+|à\s+l'|des\s+)?(?:œ|oe)strog[èe]nes?"),
    ("rp", "Récepteurs à la progestérone (RP)", r"\bRP\b|r[ée]cepteurs?\s+(?:à\s+la\s+|de\s+la\s+)?progest[ée]rone"),
]
_POSITIVE = r"positifs?|positives?"
_NEGATIVE = r"n[ée]gatifs?|n[ée]gatives?"
_HER2 = re.compile(r"\bHER[- ]?2\b\s*(?::\s*)?(?:score\s*(?:IHC\s*)?(?::\s*)?)?(?P<score>[0-3])\s*\+"
                   r"|\bHER[- ]?2\b\s*(?::\s*)?(?P<word>" + _POSITIVE + "|" + _NEGATIVE + r"|faible|low)"
                   r"|\bHER[- ]?2\s*(?P<sign>[-+])(?![\d+])", re.IGNORECASE)
_KI67 = re.compile(r"\bKi[- ]?67\b\s*(?:index\s*)?" + _PERCENT, re.IGNORECASE)
_PDL1 = re.compile(r"\bPD[- ]?L1\b[^.;%]{0,40}?(\d{1,3})\s*%", re.IGNORECASE)
_GLEASON = re.compile(r"\bGleason\s*(?:score\s*)?(?:de\s*)?(\d{1,2})\s*\(\s*(\d)\s*\+\s*(\d)\s*\)", re.IGNORECASE)
_ISUP = re.compile(r"\bISUP\s*(?:groupe\s*|grade\s*)?([1-5])\b", re.IGNORECASE)
# pT2 N1a M0, pT1cN0(sn), ypT3N1b, pT2(m) pN0 cM0 — the N and M may repeat or omit the "p".
_TNM = re.compile(r"\b(?P<prefix>y?p)T(?P<t>is|x|[0-4][a-d]?)(?P<mult>\(m\))?"
                  r"\s*(?:y?p)?N(?P<n>x|[0-3][a-c]?(?:mi)?)(?P<n_suffix>\((?:sn|i[+-]|mol[+-])\))?"
                  r"(?:\s*(?P<m_prefix>[cp])?M(?P<m>x|[01][a-c]?))?(?![a-z0-9])")
_MSI = re.compile(r"\bMSI(?:-H)?\b|instabilit[ée]\s+microsatellitaire|\bdMMR\b|d[ée]ficien(?:t|ce)\s+(?:du\s+)?(?:syst[èe]me\s+)?MMR"
                  r"|perte\s+d'expression\s+(?:de\s+)?(?:MLH1|MSH2|MSH6|PMS2)", re.IGNORECASE)
_MSS = re.compile(r"\bMSS\b|microsatellites?\s+stables?|stabilit[ée]\s+microsatellitaire|\bpMMR\b"
                  r"|prot[ée]ines?\s+(?:MMR\s+)?exprim[ée]es", re.IGNORECASE)

_GENES = ("EGFR", "KRAS", "NRAS", "BRAF", "ALK", "ROS1")
_GENE_LABELS = {"EGFR": "EGFR", "KRAS": "KRAS", "NRAS": "NRAS", "BRAF": "BRAF", "ALK": "ALK", "ROS1": "ROS1"}
_ALTERATION = r"(?:mutations?|r[ée]arrangements?|fusions?|d[ée]l[ée]tions?|alt[ée]rations?)"
# Negative phrasings are removed from the clause before looking for a positive word, so that "non muté" is not
# read as "muté" and a clause holding both a negation and a mutation is recognised as ambiguous.
_ABSENT = re.compile(_ALTERATION + r"\s+non\s+d[ée]tect[ée]e?s?|(?:absence|pas)\s+d[e']\s*" + _ALTERATION
                     + r"|\bnon\s+mut[ée]e?s?\b|\bsauvages?\b|\bwild[- ]type\b|\bnon\s+d[ée]tect[ée]e?s?\b"
                     r"|\bnon\s+r[ée]arrang[ée]e?s?\b|\bn[ée]gatifs?\b", re.IGNORECASE)
_PRESENT = re.compile(r"\bmutations?\b|\bmut[ée]e?s?\b|\bd[ée]l[ée]tion\b|\binsertion\b|\bd[ée]tect[ée]e?s?\b"
                      r"|\br[ée]arrangements?\b|\br[ée]arrang[ée]e?s?\b|\bfusion\b|\bpositifs?\b", re.IGNORECASE)
_VARIANT = re.compile(r"\bp\.[A-Z][a-z]{0,2}\d{1,4}[A-Za-z_]*|\b[A-Z]\d{2,4}[A-Z]\b|\b[Ee]xon\s*\d{1,2}\b")
# A clause: the text between sentence or list separators (a gene's status is read in its own clause).
_CLAUSES = re.compile(r"(?:[^.;]|\.(?=\S))+")  # "p.G12D" and "1.5" stay whole


def _percent(value: str) -> str:
    return f"{value.replace('.', ',')} %"


def _receptors(text: str) -> list[Finding]:
    found = []
    for key, label, name in _RECEPTORS:
        head = r"(?P<name>" + name + r")\s*(?:\(R[EOP]\)\s*)?"
        number = re.search(head + r"(?:(?:" + _POSITIVE + r")\s*)?" + _PERCENT, text, re.IGNORECASE)
        if number:
            found.append(Finding(key, label, _percent(number.group(number.lastindex)), number.group(0).strip()))
            continue
        word = re.search(head + r"(?P<word>" + _POSITIVE + "|" + _NEGATIVE + r"|[+-](?![\d+]))", text, re.IGNORECASE)
        if word:
            positive = word.group("word").lower().startswith("p") or word.group("word") == "+"
            found.append(Finding(key, label, "positifs" if positive else "négatifs", word.group(0).strip()))
    return found


def _her2(text: str) -> list[Finding]:
    match = _HER2.search(text)
    if not match:
        return []
    if match.group("score"):
        score = match.group("score")
        meaning = {"0": "négatif", "1": "HER2-faible", "2": "équivoque", "3": "positif"}[score]
        value = f"{score}+ ({meaning})"
    elif match.group("word"):
        word = match.group("word").lower()
        value = ("positif" if word.startswith("p") else "faible (HER2-low)" if word in {"faible", "low"}
                 else "négatif")
    else:
        value = "positif" if match.group("sign") == "+" else "négatif"
    return [Finding("her2", "HER2", value, match.group(0).strip())]


def _single(pattern: re.Pattern, key: str, label: str, text: str, render) -> list[Finding]:
    match = pattern.search(text)
    return [Finding(key, label, render(match), match.group(0).strip())] if match else []


def _tnm(text: str) -> list[Finding]:
    match = _TNM.search(text)
    if not match:
        return []
    prefix, evidence = match.group("prefix"), match.group(0).strip()
    found = [Finding("tnm_t", "T (pTNM)", f"{prefix}T{match.group('t')}{match.group('mult') or ''}", evidence),
             Finding("tnm_n", "N (pTNM)", f"{prefix}N{match.group('n')}{match.group('n_suffix') or ''}", evidence)]
    if match.group("m"):
        # A resection specimen says nothing of distant metastases: a bare "M0" is clinical (cM0).
        m_prefix = match.group("m_prefix") or ("p" if match.group("m").startswith("1") else "c")
        found.append(Finding("tnm_m", "M", f"{m_prefix}M{match.group('m')}", evidence))
    return found


def _microsatellites(text: str) -> list[Finding]:
    unstable, stable = _MSI.search(text), _MSS.search(text)
    if unstable and not stable:
        return [Finding("msi", "Statut MSI / MMR", "MSI (dMMR)", unstable.group(0).strip())]
    if stable and not unstable:
        return [Finding("msi", "Statut MSI / MMR", "MSS (pMMR)", stable.group(0).strip())]
    return []  # both or neither: nothing reliable to propose


def _genes(text: str) -> list[Finding]:
    found = {}
    for clause in _CLAUSES.findall(text):
        for gene in _GENES:
            if gene in found or not re.search(rf"\b{gene}\b", clause):
                continue
            absent = _ABSENT.search(clause)
            present = _PRESENT.search(_ABSENT.sub(" ", clause))
            if absent and present:
                continue  # "délétion de l'exon 19 détectée, absence de mutation T790M": the doctor reads it
            if absent:
                word = "non réarrangé" if gene in {"ALK", "ROS1"} else "non muté"
                found[gene] = Finding(gene.lower(), _GENE_LABELS[gene], word, clause.strip())
            elif present:
                word = "réarrangé" if gene in {"ALK", "ROS1"} else "muté"
                # The variant nearest after the gene's name, else before it (one gene per clause in practice).
                after = clause[clause.index(gene) + len(gene):]
                variant = _VARIANT.search(after) or _VARIANT.search(clause[:clause.index(gene)])
                value = f"{word} ({variant.group(0)})" if variant and word == "muté" else word
                found[gene] = Finding(gene.lower(), _GENE_LABELS[gene], value, clause.strip())
    return list(found.values())


def read(conclusion: str) -> list[Finding]:
    """The values proposed from one conclusion, in a fixed order (receptors, HER2, Ki-67, PD-L1, genes, MSI,
    Gleason, pTNM); at most one per item, the first phrasing found."""
    text = " ".join((conclusion or "").split())
    if not text:
        return []
    return [
        *_receptors(text),
        *_her2(text),
        *_single(_KI67, "ki67", "Ki-67", text, lambda m: _percent(m.group(1))),
        *_single(_PDL1, "pdl1", "PD-L1 (TPS)", text, lambda m: _percent(m.group(1))),
        *_genes(text),
        *_microsatellites(text),
        *_single(_GLEASON, "gleason", "Score de Gleason", text,
                 lambda m: f"{m.group(1)} ({m.group(2)}+{m.group(3)})"),
        *_single(_ISUP, "isup", "Groupe ISUP", text, lambda m: m.group(1)),
        *_tnm(text),
    ]
