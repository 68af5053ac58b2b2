"""What the care plans tell the apps above them, without importing them (the infocentre's rollups listen).

Sent inside the write's transaction, after the write and its audit event."""

from django.dispatch import Signal

# kwargs: plan (the PPS or PPAC version just validated).
care_plan_validated = Signal()
