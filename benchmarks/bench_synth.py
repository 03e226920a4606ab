"""Benchmark: the synthetic twin at 4,100, 100,000 and 1,000,000 prisoners (issue 4).

Each size runs in a fresh Python process, so the peak resident memory (``ru_maxrss``) is that
of one ``generate()`` call plus the interpreter and imports (reported separately as the
baseline). Wall time is ``time.perf_counter()`` around ``generate()`` only (codebook already
loaded). Writes ``benchmarks/results/synth.json`` and the section
``## Synthetic twin at scale (issue 4)`` of ``benchmarks/README.md``.

Run from the repository root::

    /work/venv/bin/python benchmarks/bench_synth.py            # all three sizes
    /work/venv/bin/python benchmarks/bench_synth.py --no-readme 4100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Synthetic twin at scale (issue 4)"
LIMIT_SECONDS = 30.0
LIMIT_GB = 4.0

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {src!r})
from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import generate
load_codebook()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
d = generate(seed=2019, n_prisoners={n})
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"n_prisoners": {n}, "wall_s": wall, "peak_rss_mb": peak / 1024,
                  "baseline_rss_mb": base / 1024, "n_columns": d.prisoners.shape[1],
                  "frame_mb": d.prisoners.memory_usage(deep=False).sum() / 2**20}}))
"""


def _version(pkg: str) -> str:
    from importlib.metadata import version

    return version(pkg)


def run(n: int) -> dict:
    code = _CHILD.format(src=str(ROOT / "src"), n=n)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    lines = [
        "| prisoners | wall time (s) | peak RSS (MB) | of which interpreter + imports (MB) | prisoners frame (MB) | within 30 s / 4 GB |",
        "|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        ok = r["wall_s"] < LIMIT_SECONDS and r["peak_rss_mb"] < LIMIT_GB * 1024
        lines.append(
            f"| {r['n_prisoners']:,} | {r['wall_s']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['baseline_rss_mb']:.0f} | {r['frame_mb']:.0f} | {'yes' if ok else 'NO'} |"
        )
    return "\n".join(lines)


def write_readme(rows: list[dict]) -> None:
    readme = ROOT / "benchmarks" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    cpu = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    section = (
        f"{HEADING}\n\n"
        "`reintegratie_stats.synth.generate(seed=2019, n_prisoners=N)` with the default 26 "
        "institutions and 1,000 professionals (all 130 prisoner columns, truth with implied "
        "rates by quadrature). Each size in a fresh process; wall time of `generate()` only; "
        "peak RSS from `getrusage` (includes the interpreter and imports, shown separately). "
        f"Run with `python benchmarks/bench_synth.py`; machine: {cpu} cores shared with other "
        f"jobs (load average {load} after the run), Python {platform.python_version()}, "
        f"numpy {_version('numpy')}, pandas {_version('pandas')}, {platform.system()}. "
        "Writing the files (`write_twin`) is not included. "
        "Raw numbers: `benchmarks/results/synth.json`. Target (issue 4): 1,000,000 prisoners "
        "in under 30 s and under 4 GB.\n\n"
        f"{table(rows)}\n"
    )
    pattern = re.compile(re.escape(HEADING) + r".*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    readme.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[4_100, 100_000, 1_000_000])
    ap.add_argument("--no-readme", action="store_true", help="print only; do not update files")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        r = run(n)
        print(
            f"n={n:>9,}  wall {r['wall_s']:6.2f} s  peak RSS {r['peak_rss_mb']:7.0f} MB",
            flush=True,
        )
        rows.append(r)
    if not args.no_readme:
        res = ROOT / "benchmarks" / "results"
        res.mkdir(parents=True, exist_ok=True)
        (res / "synth.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        write_readme(rows)


if __name__ == "__main__":
    main()
