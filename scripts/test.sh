#!/usr/bin/env bash
# Set up (system tools, .venv) and run the whole test suite; then the core tests again on a
# plain install with pandas 3 (without the slow tests: simulations and whole reports, which
# the first run covers on the same code). Exit status is non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest -n 2 --dist loadfile --doctest-modules src tests
CORE_ONLY=1 bash scripts/setup.sh
.venv-core/bin/python -m pytest -n 2 --dist loadfile -m "not pymer4 and not slow" --doctest-modules src tests -q -p no:cacheprovider
