"""The ANS validation kit (../shared/ans/validate-cda) run on many documents: the script checks one file per call
(about a second each, mostly Saxon start-up), so the calls run two at a time (the test machines have two cores)."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KIT = next((p for p in (REPO.parent / "shared" / "ans", REPO.parent.parent / "shared" / "ans")
            if (p / "validate-cda").exists()), None)
PARALLEL = 2


def validate(path: Path, *, volet: str = "FRCP") -> dict:
    """The kit's JSON report of one document (XSD, the volet's schematron, the ANS profiles)."""
    if KIT is None:
        pytest.skip("ANS validation kit not found (../shared/ans beside the repository): CDA not validated")
    result = subprocess.run(
        [sys.executable, str(KIT / "validate-cda"), str(path), "--volet", volet, "--profiles", "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if result.returncode == 2 or not result.stdout.strip():
        pytest.fail(f"validate-cda could not run on {path.name}: {result.stderr}")
    return json.loads(result.stdout)


def errors_of(paths: list[Path], *, volet: str = "FRCP") -> dict[str, list[str]]:
    """{file name: ["location: message", …]} for the documents with at least one error."""
    if KIT is None:
        pytest.skip("ANS validation kit not found (../shared/ans beside the repository): CDA not validated")
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        reports = list(pool.map(lambda p: validate(p, volet=volet), paths))
    return {
        path.name: [f"{e['location']}: {e['message']}" for e in report["errors"]]
        for path, report in zip(paths, reports, strict=True) if report["errors"]
    }
