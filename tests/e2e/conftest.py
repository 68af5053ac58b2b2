"""Browser journeys: Playwright driving Debian's Chromium (/usr/bin/chromium) against pytest-django's live server."""

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + Playwright's sync API

CHROMIUM = os.environ.get("DCC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if config.pluginmanager.hasplugin("xdist"):
                # One browser per worker: keep the journeys on one xdist worker.
                item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris",
            "viewport": {"width": 1400, "height": 900}}


@pytest.fixture
def login(live_server):
    """login(page, username): signs in through the real pages: the password form, then the current code of the
    user's TOTP device (enrolled first when the user has none), computed here from its secret (tests/auth.py)."""
    from oncodcc.accounts.models import User
    from tests.auth import device_secret, unused_code
    from tests.factories import TEST_PASSWORD

    def _login(page, username: str, password: str = TEST_PASSWORD):
        user = User.objects.get(username=username)
        device_secret(user)  # enrolled before the password step, which otherwise leads to the enrolment page
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/comptes/connexion/")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/comptes/double-facteur/**")
        page.get_by_label("Code").fill(unused_code(user))
        page.get_by_role("button", name="Valider").click()
        page.wait_for_load_state()

    return _login
