"""Searchable drop-downs (Tom Select) driven as a person does: open the list, type a few letters, pick the option."""

import re


def pick(page, label: str, text: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.locator("xpath=ancestor::div[contains(@class, 'ts-control')]").click()
    page.keyboard.type(text)
    dropdown = page.locator(f"#{box.get_attribute('aria-controls')}")
    dropdown.get_by_role("option", name=re.compile(re.escape(text), re.IGNORECASE)).first.click()
