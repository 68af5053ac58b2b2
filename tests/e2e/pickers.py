"""Searchable drop-downs (Tom Select) driven as a person does: open the list, type a few letters, choose the
highlighted option with Enter (as a keyboard user would; a click on an option that the page's scrolling moves away
is what made this flaky)."""

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect


def pick(page, label: str, text: str) -> None:
    box = page.get_by_role("combobox", name=label)
    control = box.locator("xpath=ancestor::div[contains(@class, 'ts-control')]")
    select = page.locator(f"select#{box.get_attribute('id').removesuffix('-ts-control')}")
    dropdown = page.locator(f"#{box.get_attribute('aria-controls')}")
    option = dropdown.get_by_role("option", name=re.compile(re.escape(text), re.IGNORECASE)).first
    # A person who typed too early (before the list opened) clears and types again: so does the test, twice at most.
    for attempt in range(3):
        control.click()
        expect(box).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type(text, delay=20)
        try:
            option.wait_for(state="visible", timeout=5000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    expect(option).to_have_class(re.compile(r"\bactive\b"))  # the first match is highlighted
    page.keyboard.press("Enter")
    expect(select).not_to_have_value("")
