"""Power simulations (issue 16): 1,000 simulated waves of the chapter-4 family model, and R.

At DPVS size (26 institutions, 4,100 prisoners; the family model fits the ~1,850 parents) the
benchmark runs ``power.power`` with the between-within Wald test on 2 worker processes, 1,000
simulations at the null (``family_room_visit_ratio = 1``: the type-I rate) and 1,000 at a
family-room effect (ratio 1.2), timing each run as a whole (worker start-up included). In the
same run it writes the analysis frames of the first ``--r-sims`` simulations at the effect and
refits them with a loop of ``lme4::glmer`` in R (``tests/reference/power_family_lme4.R``,
as ``simr::powerSim`` does), timing R per fit, and compares the fits and the decisions.
It also times the model fit alone, from which the cost of a parametric-bootstrap test
(~1,000 refits per simulated wave) is projected. Writes ``benchmarks/results/power.json`` and
the section ``## Power simulations (issue 16)`` of ``benchmarks/README.md``.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/bench_power.py            # ~3-5 min
    /work/main/.venv/bin/python benchmarks/bench_power.py --n-sims 200 --r-sims 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reintegratie_stats.power import (  # noqa: E402
    ANALYSES,
    Design,
    WaldTest,
    power,
    simulated_frames,
)

HEADING = "## Power simulations (issue 16)"
EFFECT = "family_room_visit_ratio"
VALUE = 1.2
R_SCRIPT = ROOT / "tests" / "reference" / "power_family_lme4.R"


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def run_python(n_sims: int, n_jobs: int, seed: int) -> dict:
    out = {}
    for label, value in (("null", 1.0), ("effect", VALUE)):
        load = _load()
        t0 = time.perf_counter()
        r = power(Design(), EFFECT, [value], n_sims=n_sims, n_jobs=n_jobs, seed=seed)
        wall = time.perf_counter() - t0
        row = r.table.iloc[0]
        out[label] = {
            "value": value,
            "n_sims": int(row["n_sims"]),
            "n_reject": int(row["n_reject"]),
            "power": float(row["power"]),
            "ci_low": float(row["ci_low"]),
            "ci_high": float(row["ci_high"]),
            "n_failed": int(row["n_failed"]),
            "n_singular": int(row["n_singular"]),
            "wall_s": wall,
            "seconds_per_sim_in_worker": float(row["seconds_per_sim"]),
            "cpu_seconds_per_sim": float(row["cpu_seconds_per_sim"]),
            "load_before": load,
            "sims": r.sims[["sim", "estimate", "se", "df", "p_value"]].to_dict("list"),
        }
    return out


def time_fit_only(n: int = 20, seed: int = 7) -> float:
    """Seconds per Wald refit of the family model (no drawing): the unit of a bootstrap."""
    from threadpoolctl import threadpool_limits

    a = ANALYSES["family_child_visits"]
    frames = simulated_frames(Design(), EFFECT, VALUE, sims=n, seed=seed)
    test = WaldTest()
    parts = [f.drop(columns=["sim", "seed"]) for _, f in frames.groupby("sim")]
    with threadpool_limits(1):
        test(a, parts[0], "has_family_room")
        t0 = time.perf_counter()
        for f in parts:
            test(a, f, "has_family_room")
    return (time.perf_counter() - t0) / len(parts)


def run_r(r_sims: int, seed: int) -> dict:
    if shutil.which("Rscript") is None:
        return {"skipped": "Rscript not on PATH"}
    frames = simulated_frames(Design(), EFFECT, VALUE, sims=r_sims, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        csv, js = Path(tmp) / "frames.csv", Path(tmp) / "r.json"
        frames.to_csv(csv, index=False, float_format="%.17g")
        t0 = time.perf_counter()
        subprocess.run(["Rscript", str(R_SCRIPT), str(csv), str(js)], check=True)
        total = time.perf_counter() - t0
        res = json.loads(js.read_text())
    res["rscript_total_s"] = total
    return res


def compare(py: dict, r: dict) -> dict:
    if "sims" not in r:
        return {}
    k = len(r["sims"])
    est = np.array(py["effect"]["sims"]["estimate"][:k])
    p = np.array(py["effect"]["sims"]["p_value"][:k])
    r_est = np.array([s["estimate"] for s in r["sims"]], dtype=float)
    r_rej = np.array([s["reject"] for s in r["sims"]], dtype=bool)
    return {
        "n": k,
        "max_abs_d_estimate": float(np.nanmax(np.abs(est - r_est))),
        "same_decision": float(np.mean((p < 0.05) == r_rej)),
        "power_python_same_sims": float(np.mean(p < 0.05)),
        "power_r": float(np.mean(r_rej)),
    }


def section(res: dict) -> str:
    py, r, cmp_, meta = res["python"], res["r"], res["compare"], res["meta"]
    null, eff = py["null"], py["effect"]
    n_jobs = meta["n_jobs"]
    lines = [
        HEADING,
        "",
        '`power.power(Design(), "family_room_visit_ratio", [value], n_sims, n_jobs=2)`: the '
        "chapter-4 family model (parents, any visit by their children; six facilities, four "
        "controls, random institution intercept) refitted on every simulated wave with the "
        "between-within Wald t (19 df), at DPVS size (26 institutions, 4,100 prisoners). Wall "
        "time of the whole call, worker start-up included; R refits the first "
        f"{cmp_.get('n', 0)} waves of the effect run (the same frames, written to CSV) in a loop "
        "of `lme4::glmer` (Laplace), as `simr::powerSim` does, on one core. Run with "
        f"`python benchmarks/bench_power.py` ({meta['when']}; machine: 2 cores shared with other "
        f"jobs, load average {meta['load_start']} at the start). Raw numbers: "
        "`benchmarks/results/power.json`. Target (issue 16): 1,000 simulations in at most 60 s "
        "on 2 cores.",
        "",
        "| run | simulations | wall time (s) | s per simulation in a worker (wall / CPU) | "
        "1,000 on 2 free cores (s) | rejections | power (95% Clopper-Pearson) | failed fits "
        "| within 60 s |",
        "|---|---:|---:|---:|---:|---:|---|---:|:---:|",
    ]
    for label, x in (("null (ratio 1, type-I)", null), (f"effect (ratio {VALUE})", eff)):
        lines.append(
            f"| {label} | {x['n_sims']:,} | {x['wall_s']:.1f} | "
            f"{x['seconds_per_sim_in_worker']:.3f} / {x['cpu_seconds_per_sim']:.3f} | "
            f"{1000 * x['cpu_seconds_per_sim'] / n_jobs:.0f} | {x['n_reject']} | {x['power']:.3f} "
            f"({x['ci_low']:.3f}-{x['ci_high']:.3f}) | {x['n_failed']} | "
            f"{'yes' if x['wall_s'] <= 60 and x['n_sims'] >= 1000 else 'no'} |"
        )
    lines += [
        "",
        "*1,000 on 2 free cores* = 1,000 x the CPU seconds per simulation / 2 (worker start-up, "
        "a few seconds, not included): the cost without the other jobs on the machine, which "
        "stretch the wall time.",
        "",
    ]
    if "seconds_per_fit" in r:
        py_per = eff["wall_s"] / eff["n_sims"]
        lines += [
            f"- R (lme4 {r['lme4_version']}): {r['seconds_per_fit']:.3f} s per `glmer` fit "
            f"({r['n_sims']} fits; the whole Rscript process {r['rscript_total_s']:.1f} s), "
            f"against {py_per:.4f} s wall per simulation here with {n_jobs} workers (drawing "
            f"the twin + refit) and {res['fit_only_s']:.4f} s per native refit alone: "
            f"{r['seconds_per_fit'] / py_per:.0f}x per simulation, "
            f"{r['seconds_per_fit'] / res['fit_only_s']:.0f}x per fit. 1,000 simulations of the R "
            f"loop would take about {1000 * r['seconds_per_fit'] / 60:.0f} min on one core.",
            f"- Same waves, both fits: max |d estimate| = {cmp_['max_abs_d_estimate']:.1e}, "
            f"same decision in {cmp_['same_decision']:.0%} of the {cmp_['n']} waves; power on "
            f"them {cmp_['power_python_same_sims']:.3f} (Python) vs {cmp_['power_r']:.3f} (R).",
        ]
    else:
        lines.append(f"- R loop: {r.get('skipped', 'not run')}.")
    boot = 1000 * res["fit_only_s"]
    lines += [
        f"- Type-I rate at the null: {null['power']:.3f} "
        f"({null['ci_low']:.3f}-{null['ci_high']:.3f}); nominal .05 "
        f"{'inside' if null['ci_low'] <= 0.05 <= null['ci_high'] else 'OUTSIDE'} the interval.",
        f"- Cost of a parametric-bootstrap LRT instead of the Wald test: ~1,000 extra refits per "
        f"simulated wave, ~{boot:.0f} s per wave on one core at {res['fit_only_s']:.3f} s per "
        f"refit, so 1,000 simulations ~{1000 * boot / n_jobs / 3600:.1f} h on {n_jobs} cores "
        "(the Wald test: one refit).",
        "",
    ]
    return "\n".join(lines)


def write_readme(text: str, path: Path) -> None:
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if HEADING in old:
        start = old.index(HEADING)
        nxt = old.find("\n## ", start + len(HEADING))
        old = old[:start] + text + (old[nxt + 1 :] if nxt >= 0 else "")
    else:
        old = old.rstrip("\n") + "\n\n" + text
    path.write_text(old)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-sims", type=int, default=1000)
    ap.add_argument("--r-sims", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_start": _load(),
        "python": platform.python_version(),
        "n_jobs": args.jobs,
        "cpu_count": os.cpu_count(),
    }
    py = run_python(args.n_sims, args.jobs, args.seed)
    fit_only = time_fit_only()
    r = run_r(args.r_sims, args.seed)
    res = {"meta": meta, "python": py, "fit_only_s": fit_only, "r": r, "compare": compare(py, r)}
    res["meta"]["load_end"] = _load()
    for run in py.values():  # per-simulation rows are compared above, not kept
        run.pop("sims", None)
    r.pop("sims", None)
    out = ROOT / "benchmarks" / "results" / "power.json"
    out.write_text(json.dumps(res, indent=1, default=float) + "\n")
    text = section(res)
    print(text)
    if not args.no_readme:
        write_readme(text, ROOT / "benchmarks" / "README.md")


if __name__ == "__main__":
    main()
