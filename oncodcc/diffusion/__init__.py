"""Diffusion out (issue 11): every validated fiche RCP, PPS and PPAC reaches the hospitals' records (DPI, HL7 v2 over
MLLP), the doctors' secure mailboxes (MSSanté, IHE XDM) and the patient's national record (DMP, IHE XDS.b).

The channels code against the interface of `oncodcc.diffusion.channels` (OutgoingDocument in, Outcome out); the
outbox builds an OutgoingDocument from a stored document and records each Outcome. See docs/diffusion-mssante-dmp.md.
"""
