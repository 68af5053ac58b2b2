"""What the RCP tells the apps above it, without importing them (the infocentre's rollups listen).

Sent inside the write's transaction, after the write and its audit event: a receiver that fails rolls the write
back, so counters never drift from the facts."""

from django.dispatch import Signal

# kwargs: fiche (the fiche RCP just validated: a first version or a correction).
fiche_validated = Signal()

# kwargs: registration (the case postponed, now "reporté"), new (its registration on the later meeting).
case_postponed = Signal()
