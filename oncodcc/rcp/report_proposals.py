"""Values proposed beside the fiche from the patient's received pathology and molecular reports.

`documents.findings` reads the values of each report's conclusion; here each value is given the fiche fields it
fills — the first tumour's pTNM, the organ form's items (RE, RP, HER2, Ki-67, PD-L1, EGFR, ALK, ROS1, KRAS, BRAF,
MMR, Gleason, ISUP) — and only the fields present in the form being edited are kept. Nothing is written here: the
doctor accepts a value with a button that fills the fields in the browser (rcp/fiche.js), then saves the fiche as
usual (one transaction, audited, the fiche's own validation)."""

import json
import re
from dataclasses import dataclass, field

from oncodcc.documents.findings import Finding, read
from oncodcc.documents.models import Document
from oncodcc.questionnaires.forms import field_name

from .forms.fiche import FicheEditor

TNM_KEYS = ("tnm_t", "tnm_n", "tnm_m")


@dataclass(frozen=True)
class Proposal:
    finding: Finding
    fill: dict[str, str] = field(default_factory=dict)  # form field name → value; empty: nothing to fill here

    @property
    def fill_json(self) -> str:
        return json.dumps(self.fill, ensure_ascii=False)


@dataclass(frozen=True)
class ReportProposals:
    document: Document
    proposals: list[Proposal]


def _number(value: str) -> str:
    """ "90 %" → "90", "1,5 %" → "1.5" (the organ form's numbers)."""
    return value.split(" ")[0].replace(",", ".")


def _status(value: str) -> str | None:
    if value.startswith("négatif") or value.startswith("non "):
        return "neg"
    if value.endswith("%"):
        return "neg" if _number(value) in {"0", "0.0"} else "pos"
    return "pos" if value.startswith("positif") else None


def _receptor(prefix: str, value: str) -> dict[str, str]:
    fill = {}
    status = _status(value)
    if status:
        fill[field_name(f"{prefix}_statut")] = status
    if value.endswith("%"):
        fill[field_name(f"{prefix}_pourcentage")] = _number(value)
    return fill


def _variant(value: str) -> str:
    match = re.search(r"\(([^)]*)\)", value)
    return match.group(1).upper().removeprefix("P.") if match else ""


def _gene(key: str, value: str) -> dict[str, str]:
    """The thoracic form's gene items and the colorectal form's RAS/BRAF items."""
    mutated, variant = value.startswith(("muté", "réarrangé")), _variant(value)
    fill = {}
    if key in {"egfr", "alk", "ros1"}:
        fill[field_name(key)] = ("rearrange" if key != "egfr" else "mute") if mutated else "neg"
        if key == "egfr" and mutated:
            kind = {"EXON 19": "del19", "L858R": "l858r", "EXON 20": "ex20ins"}.get(variant.replace("  ", " "))
            if kind:
                fill[field_name("egfr_mutation")] = kind
    elif key == "kras":
        fill[field_name("kras")] = ("g12c" if variant == "G12C" else "autre") if mutated else "neg"
        if mutated:
            fill[field_name("ras_statut")] = "kras_mute"
            if variant:
                fill[field_name("ras_variant")] = f"KRAS {variant}"
    elif key == "nras" and mutated:
        fill[field_name("ras_statut")] = "nras_mute"
        if variant:
            fill[field_name("ras_variant")] = f"NRAS {variant}"
    elif key == "braf":
        fill[field_name("braf")] = ("v600e" if variant == "V600E" else "autre") if mutated else "neg"
        if not mutated or variant == "V600E":
            fill[field_name("braf_v600e")] = "mute" if mutated else "non_mute"
    return fill


def _targets(finding: Finding, tumour_prefix: str | None) -> dict[str, str]:
    key, value = finding.key, finding.value
    if key == "tnm":
        if not tumour_prefix:
            return {}
        return {f"{tumour_prefix}-{part}": piece for part, piece in zip(TNM_KEYS, value.split(" "), strict=False)}
    if key in {"re", "rp"}:
        return _receptor(key, value)
    if key == "her2":
        score = value[:2] if value[:1].isdigit() else ""
        fill = {field_name("her2_ihc"): score} if score else {}
        statut = {"3+": "positif", "0+": "negatif"}.get(score) or (
            "positif" if value.startswith("positif") else "negatif" if value.startswith("négatif") else
            "low" if score == "1+" or value.startswith("faible") else "")
        if statut:
            fill[field_name("her2_statut")] = statut
        return fill
    if key == "ki67":
        return {field_name("ki67"): _number(value)}
    if key == "pdl1":
        return {field_name("pdl1_tps"): _number(value)}
    if key == "msi":
        return {field_name("mmr_statut"): "dmmr" if value.startswith("MSI") else "pmmr"}
    if key == "gleason":
        primary, secondary = re.search(r"\((\d)\+(\d)\)", value).groups()
        return {field_name("gleason_primaire"): primary, field_name("gleason_secondaire"): secondary}
    if key == "isup":
        return {field_name("groupe_isup"): value}
    return _gene(key, value)


def _tnm_once(findings: list[Finding]) -> list[Finding]:
    """The pTNM shown and accepted once ("pT2 pN1a cM0"), not as three values."""
    parts = [f for f in findings if f.key in TNM_KEYS]
    if not parts:
        return findings
    tnm = Finding("tnm", "pTNM", " ".join(f.value for f in parts), parts[0].evidence)
    return [f for f in findings if f.key not in TNM_KEYS] + [tnm]


def editable_fields(editor: FicheEditor | None) -> tuple[dict[str, set[str] | None], str | None]:
    """The organ form's fields a proposal may fill (name → its coded answers' keys, None for a free value), and
    the first tumour row's prefix."""
    if editor is None:
        return {}, None
    organ = {}
    for name, form_field in (editor.organ.fields.items() if editor.organ is not None else ()):
        choices = getattr(form_field, "choices", None)
        organ[name] = {key for key, _ in choices if key} if choices else None
    tumours = editor.tumours.forms
    return organ, (tumours[0].prefix if tumours else None)


def _answer(value: str, keys: set[str] | None) -> str | None:
    """A code as the organ form's answer key ("system|code"); None when the item has no such answer."""
    if keys is None:
        return value
    return next((key for key in sorted(keys) if key == value or key.endswith(f"|{value}")), None)


def _fill(finding: Finding, organ: dict[str, set[str] | None], tumour_prefix: str | None) -> dict[str, str]:
    fill = {}
    for name, value in _targets(finding, tumour_prefix).items():
        if tumour_prefix and name.startswith(f"{tumour_prefix}-"):
            fill[name] = value
        elif name in organ and (answer := _answer(value, organ[name])) is not None:
            fill[name] = answer
    return fill


def build(reports: list[Document], editor: FicheEditor | None) -> list[ReportProposals]:
    """Per report (newest first, as given), the values read from its conclusion and what each would fill."""
    organ, tumour_prefix = editable_fields(editor)
    result = []
    for document in reports:
        proposals = []
        for finding in _tnm_once(read(document.conclusion)):
            proposals.append(Proposal(finding, _fill(finding, organ, tumour_prefix)))
        result.append(ReportProposals(document, proposals))
    return result
