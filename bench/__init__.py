"""Benchmarks (run with `.venv/bin/python -m bench.<name>`), on a throw-away test database."""

import os
import secrets

# Synthetic data on a throw-away database: demo mode (test INS OIDs) and a key of this run, since the settings
# refuse to start with DEBUG off (their default) without one.
os.environ.setdefault("DCC_DEMO_MODE", "1")
os.environ.setdefault("DCC_SECRET_KEY", secrets.token_urlsafe(50))
