"""Reads of the RCP workflow, with the authorization check and the access audit event for patient data.
meetings.py / registrations.py: boards, calendar, meeting pages. fiches.py: fiche reads, meeting mode."""
