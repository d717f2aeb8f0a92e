#!/usr/bin/env bash
# Regenerate docs/screenshots/*.png from the browser run (shown in the README, "Screens").
set -euo pipefail
cd "$(dirname "$0")/.."
CAS_SCREENSHOT_DIR="$(pwd)/docs/screenshots" bash .ci/browser.sh "$@"
