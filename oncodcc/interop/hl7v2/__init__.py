"""HL7 v2 channel (issue 5): PAM.fr identities (ADT), documents (ORU^R01, MDM), ACK, message log and senders.

The MLLP listener (`mllp.py`, `dcc mllp`) calls `processing.handle_message(payload) -> ACK bytes`; the message
handlers register themselves in `processing.HANDLERS` (pam.py, documents.py)."""
