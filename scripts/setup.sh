#!/usr/bin/env bash
# Installs what OncoDCC needs on a fresh Debian machine: system packages (when root and missing),
# then the pinned Python packages in .venv. Usage: scripts/setup.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-run}
PYTHON=${PYTHON:-python3}

# WeasyPrint (PDF) needs Pango and HarfBuzz; DejaVu covers every character of French names.
debs=(fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
# Tests: Chromium for the browser journeys, poppler-utils (pdftoppm, pdfinfo) to look at generated PDFs, Orthanc with
# its DICOMweb plugin as the real PACS of the imaging tests.
if [ "$profile" = test ]; then debs+=(chromium poppler-utils orthanc orthanc-dicomweb); fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "!! missing Debian packages (run as root, or install them): ${missing[*]}" >&2
  fi
fi

# pip warns about every configured --find-links location that does not exist: noise, filtered out.
pip_install() {
  .venv/bin/python -m pip install -q --disable-pip-version-check "$@" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

req=requirements.txt
[ "$profile" = test ] && req=requirements-test.txt
stamp=.venv/.installed-$profile
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing pinned Python packages ($req)"
  pip_install -r "$req"
  pip_install --no-deps --no-build-isolation -e . 2>/dev/null || pip_install --no-deps -e .
  touch "$stamp"
fi
