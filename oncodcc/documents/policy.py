"""The documents policy (ADR 0007): who may withdraw a generated document.

- *Retirer le document* (`document.withdraw`, on a Document): a fiche RCP by those who may sign it (the board's
  coordinator, a doctor present at the meeting: `fiche.sign`); a PPS or a PPAC by those who may validate it (a
  doctor who may edit the patient's record: `patient.edit`). Received documents are withdrawn by their sender
  only (an HL7 OBX-11 D or a FHIR update), never here. The permissions are asked by name through the registry:
  `documents` sits below `rcp` and `careplans`, which import it."""

from oncodcc.core.policy import has_permission, is_signed_in, register

WITHDRAW = "document.withdraw"


@register(WITHDRAW, "Retirer un document produit (fiche RCP, PPS, PPAC) enregistré par erreur")
def can_withdraw(user, document) -> bool:
    if not is_signed_in(user) or document is None or document.is_received:
        return False
    if document.fiche_id:
        return has_permission(user, "fiche.sign", document.fiche)
    if document.care_plan_id:
        return getattr(user, "is_clinician", False) and has_permission(user, "patient.edit", document.patient)
    return False
