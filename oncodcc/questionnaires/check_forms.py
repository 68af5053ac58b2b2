"""`python -m oncodcc.questionnaires.check_forms FILE…`: check form definitions without a database."""

import sys
from pathlib import Path

import django


def main(paths: list[str]) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    django.setup()
    from .definition import DefinitionError, load_file

    failures = 0
    for name in paths:
        try:
            definition = load_file(Path(name))
        except DefinitionError as exc:
            print(f"ERREUR {exc}")
            failures += 1
        else:
            count = sum(1 for item in definition.walk() if item.answers)
            stats = ", ".join(f"{k}={v.link_id}" for k, v in definition.statistics_items.items())
            print(f"OK {name}: {definition.canonical} — {count} questions ; statistiques : {stats or 'aucune'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
