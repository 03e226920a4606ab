"""Benchmark: wall time of ``reintegratie-stats report`` on the default twin (issue 8).

Each repeat runs the command in a fresh process (so imports count, as for a user), native
backend, into a temporary folder; the per-step times come from its ``manifest.json``. Writes
``benchmarks/results/report.json`` and the section ``## Report wall time (issue 8)`` of
``benchmarks/README.md``. Target (issue 8): under 60 s on this 2-core machine.

Run from the repository root::

    /work/venv/bin/python benchmarks/bench_report.py            # 3 repeats
    /work/venv/bin/python benchmarks/bench_report.py --repeats 1 --no-readme
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Report wall time (issue 8)"
TARGET_S = 60.0


def run_once(out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "reintegratie_stats.cli", "report", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - t0
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        "wall_s": wall,
        "exit_code": res.returncode,
        "steps_s": man["wall_time_s"]["steps"],
        "total_in_process_s": man["wall_time_s"]["total"],
        "per_step_s": {s["name"]: s["wall_time_s"] for s in man["steps"]},
        "status": man["status"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    runs = []
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_once(Path(tmp) / "synthetic")
        runs.append(r)
        print(f"run {i + 1}: {r['wall_s']:.1f} s (exit {r['exit_code']}, {r['status']})")
    best = min(runs, key=lambda r: r["wall_s"])
    result = {
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "load_average": os.getloadavg(),
        "runs": runs,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.no_readme:
        return
    walls = ", ".join(f"{r['wall_s']:.1f}" for r in runs)
    slow = sorted(best["per_step_s"].items(), key=lambda kv: -kv[1])[:4]
    lines = [
        HEADING,
        "",
        "`reintegratie-stats report` on the default synthetic twin (seed 2019, 4,100 prisoners, "
        "26 institutions, 1,000 professionals), native backend, every step, each run in a fresh "
        "process (imports included) writing report.html, the CSV tables, PNG+SVG figures and "
        f"the manifest. Run with `python benchmarks/bench_report.py`; machine: {os.cpu_count()} "
        "cores shared with other jobs (load average "
        + ", ".join(f"{x:.1f}" for x in result["load_average"])
        + f" after the runs), Python {result['python']}. Raw numbers: "
        "`benchmarks/results/report.json`. Target (issue 8): under 60 s.",
        "",
        "| runs (s) | best (s) | of which the analysis steps (s) | slowest steps (s) | all steps ok | under 60 s |",
        "|---|---:|---:|---|:---:|:---:|",
        f"| {walls} | {best['wall_s']:.1f} | {best['steps_s']:.1f} | "
        + ", ".join(f"{k} {v:.1f}" for k, v in slow)
        + f" | {'yes' if best['status'] == 'ok' else 'no'} | "
        f"{'yes' if best['wall_s'] < TARGET_S else 'no'} |",
        "",
    ]
    readme = ROOT / "benchmarks" / "README.md"
    text = readme.read_text(encoding="utf-8")
    section = "\n".join(lines)
    pattern = re.compile(re.escape(HEADING) + r".*?(?=\n## |\Z)", re.S)
    text = (
        pattern.sub(section.rstrip() + "\n", text)
        if HEADING in text
        else (text.rstrip() + "\n\n" + section)
    )
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
