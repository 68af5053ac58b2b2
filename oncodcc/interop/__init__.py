"""Interoperability: standard exchange formats over HTTP (FHIR R4)."""
