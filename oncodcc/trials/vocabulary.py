"""What a biomarker condition may name: the organ-form items promoted to statistics columns (the shipped forms of
`oncodcc/questionnaires/forms/`), with their French question text for the pages."""

from functools import cache

from oncodcc.questionnaires.definition import load_file
from oncodcc.questionnaires.services import FORMS_DIR


@cache
def statistics_items() -> dict[str, str]:
    """linkId → question text, for every statistics item of every shipped form."""
    items: dict[str, str] = {}
    for path in sorted(FORMS_DIR.glob("*.json")):
        for item in load_file(path).statistics_items.values():
            items.setdefault(item.link_id, item.text)
    return items


def item_label(link_id: str) -> str:
    return statistics_items().get(link_id, link_id)
