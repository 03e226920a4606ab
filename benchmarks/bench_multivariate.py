"""Benchmark: chapter 5 (``multivariate.chapter5``) on the synthetic twin (issue 7).

Times each part of the chapter on ``synth.generate(seed=2019, n_prisoners=N)`` for N = 4,100
(the example twin) and 20,000, and writes ``benchmarks/results/multivariate.json``. Run by hand
from the repository root (not a test)::

    /work/venv/bin/python benchmarks/bench_multivariate.py
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reintegratie_stats import synth  # noqa: E402
from reintegratie_stats.multivariate import chapter5  # noqa: E402

PARTS = {
    "ols_effects": dict(
        include_mixed=False, include_ordinal=False, include_sur=False, include_family=False
    ),
    "+mixed": dict(include_ordinal=False, include_sur=False, include_family=False),
    "+sur": dict(include_mixed=False, include_ordinal=False, include_family=False),
    "+ordinal": dict(include_mixed=False, include_sur=False, include_family=False),
    "+family": dict(include_mixed=False, include_ordinal=False, include_sur=False),
    "all": {},
}


def main() -> None:
    out = {"python": sys.version.split()[0], "machine": platform.machine(), "runs": []}
    for n in (4100, 20000):
        pris = synth.generate(seed=2019, n_prisoners=n).prisoners
        for name, kw in PARTS.items():
            t = time.perf_counter()
            res = chapter5(pris, **kw)
            dt = time.perf_counter() - t
            n_sample = int(res["sample"].set_index("reason").loc["analysis_sample", "n"])
            out["runs"].append(
                {"n_prisoners": n, "part": name, "seconds": round(dt, 2), "n_sample": n_sample}
            )
            print(f"{n:>6} {name:<12} {dt:6.2f} s  (sample {n_sample})", flush=True)
    path = ROOT / "benchmarks" / "results" / "multivariate.json"
    path.write_text(json.dumps(out, indent=2))
    print("wrote", path)


if __name__ == "__main__":
    main()
