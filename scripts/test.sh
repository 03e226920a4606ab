#!/usr/bin/env bash
# Set up (system tools, .venv) and run the whole test suite; then the core tests again on a
# plain install with pandas 3 (without the slow tests: simulations and whole reports, which
# the first run covers on the same code). Exit status is non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# pytest -n 2 already uses both cores; BLAS threads on top of it oversubscribe them (a native
# lmer on 300 rows took 1.2 s with the default threads under load, 0.08 s with one).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest -n 2 --dist loadfile --doctest-modules src tests
CORE_ONLY=1 bash scripts/setup.sh
.venv-core/bin/python -m pytest -n 2 --dist loadfile -m "not pymer4 and not slow" --doctest-modules src tests -q -p no:cacheprovider
