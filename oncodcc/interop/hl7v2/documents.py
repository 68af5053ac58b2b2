"""Documents in (ORU^R01, MDM): see below."""
