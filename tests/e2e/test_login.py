from playwright.sync_api import expect

from tests import factories as f


def test_login_page_loads_assets_under_csp(page, live_server, login, transactional_db):
    """The home page renders with Bootstrap and htmx loaded from our static files, without CSP violations."""
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    f.DoctorFactory(username="dr.e2e")
    login(page, "dr.e2e")
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert violations == []
