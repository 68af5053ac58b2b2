"""Forms of the RCP screens. organisation.py: meetings, attendance, registrations. fiche.py: the fiche RCP."""
