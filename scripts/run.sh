#!/usr/bin/env bash
# Set up and run the main job: the full report on the embedded synthetic twin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/reintegratie-stats report "$@"
