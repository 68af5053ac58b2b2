"""Settings of the test suite: the project's production defaults (DEBUG off; pytest-django keeps it off), plus
what the tests need, each set here explicitly rather than inherited from a developer default."""

import os

# A fixed key: the suite must not depend on var/secret_key, and `dcc` subprocesses started by tests inherit it.
os.environ.setdefault("DCC_SECRET_KEY", "tests-only-secret-key-never-used-outside-the-test-suite-0000")
# Likewise the audit key (never var/audit-key): the chain written by the suite is signed with it.
os.environ.setdefault("DCC_AUDIT_KEY", "tests-only-audit-key-never-used-outside-the-test-suite-00000")

from oncodcc.settings import *  # noqa: F403
from oncodcc.settings import BASE_DIR

# The factories and the examples use the INS test OID; tests that need demo mode off set it off themselves.
DEMO_MODE = True
# The test client and the live server speak plain http.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# `dcc` subprocesses started by tests inherit DJANGO_SETTINGS_MODULE=tests.settings: they must find this package
# (and this checkout's code) too.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(BASE_DIR), os.environ.get("PYTHONPATH", "")) if p)
