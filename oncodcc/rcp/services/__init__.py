"""Writes of the RCP workflow: meetings, registrations, fiches. Keyword-only, `actor=`, one transaction each,
audit event inside it. Split by aggregate: meetings.py, registrations.py, fiches.py."""
