#!/usr/bin/env bash
# The browser tests: Playwright (pytest-playwright) driving Debian's Chromium against the
# embedded server. Playwright cannot download its own browsers here, so the test fixtures
# point it at /usr/bin/chromium. Set CAS_SCREENSHOT_DIR=docs/screenshots to refresh the
# README's screenshots (.ci/screenshots.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q -e '.[dev,browser]'
# Each web test server takes a free port of this range.
export CAS_BROWSER_PORTS="${CAS_BROWSER_PORTS:-18500-18599}"
.venv/bin/python -m pytest -m browser -p no:cacheprovider -q tests/web "$@"
