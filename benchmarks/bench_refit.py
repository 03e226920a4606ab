"""CPU time of the chapter-4 models with the report's bootstrap (issue 11: bootstrap refits).

``multilevel.family_models`` and ``multilevel.facilitation_models`` on the default twin as the
report builds it (seed 2019, derived variables, small categories collapsed), with the report's
tests (``reporting/sections.py`` ``_ML_TESTS``: gatekept terms, block bootstrap, nsim 199),
one BLAS thread. Each run is a fresh process; with ``--before <src>`` the old tree and this
one alternate, so both meet the same load. Prints one JSON line per run: CPU
(``time.process_time``) and wall time, and how often the bootstrap called ``optimize_glmm``.
Writes nothing.

Run from the repository root::

    .venv/bin/python benchmarks/bench_refit.py --before /path/to/old/src --repeats 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from threadpoolctl import threadpool_limits
from reintegratie_stats import multilevel as M
from reintegratie_stats.derived_variables import add_derived
from reintegratie_stats.disclosure import collapse_small_categories, default_threshold
from reintegratie_stats.multilevel import bootstrap as B
from reintegratie_stats.reporting.inputs import load_inputs

which, tag = sys.argv[1], sys.argv[2]
inp = load_inputs(seed=2019)
pris = collapse_small_categories(add_derived(inp.prisoners), default_threshold()).frame
kw = dict(backend="native", term_test="gatekept", block_test="bootstrap", nsim=199, seed=2019)
calls = [0]
orig = B.optimize_glmm
def counted(*a, **k):
    calls[0] += 1
    return orig(*a, **k)
B.optimize_glmm = counted
with threadpool_limits(1):
    t0, w0 = time.process_time(), time.perf_counter()
    if which == "family":
        M.family_models(pris, inp.table("institutions"), **kw)
    else:
        M.facilitation_models(pris, inp.table("professionals"), **kw)
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
print(json.dumps({"models": which, "code": tag, "cpu_s": round(cpu, 2),
                  "wall_s": round(wall, 2), "optimize_glmm_calls": calls[0]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, help="src folder of the old code")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    trees = ([("before", args.before)] if args.before else []) + [("after", ROOT / "src")]
    for _ in range(args.repeats):
        for which in ("family", "facilitation"):
            for tag, src in trees:
                env = {**os.environ, "PYTHONPATH": str(src)}
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, which, tag],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
