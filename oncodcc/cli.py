"""`dcc`: Django's management commands with the OncoDCC settings.

Sub-commands may be written with hyphens (`dcc demo-data`): they map to the command module `demo_data`.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
        if argv[1] == "help" and len(argv) > 2 and not argv[2].startswith("-"):
            argv[2] = argv[2].replace("-", "_")  # dcc help demo-data
    argv[0] = "dcc"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
