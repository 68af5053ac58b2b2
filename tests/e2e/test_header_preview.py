"""The document header's live preview in the admin: it follows what the 3C administrator types (htmx, under the
strict CSP), before anything is saved."""

from playwright.sync_api import expect

from tests import factories as f


def test_header_preview_follows_typing(page, live_server, login, transactional_db):
    ccc = f.CccFactory(name="3C Littoral")
    f.UserFactory(username="admin3c", role="admin_3c", is_staff=True, organisation=ccc)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    login(page, "admin3c")
    page.goto(f"{live_server.url}/admin/documents/documentheader/add/")
    page.locator("#id_organisation").select_option(str(ccc.pk))
    page.locator("#id_display_name").fill("Centre hospitalier du Littoral")
    preview = page.locator("#header-live-preview img.header-live-preview")
    expect(preview).to_be_visible(timeout=15_000)
    first = preview.get_attribute("src")
    page.locator("#id_free_text").fill("Secrétariat des RCP : 02 00 00 00 00")
    expect(page.locator("#header-live-preview img.header-live-preview")).not_to_have_attribute("src", first,
                                                                                               timeout=15_000)
    assert violations == []
