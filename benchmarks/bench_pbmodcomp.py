"""Parametric-bootstrap LRT speed (issue 12): ``multilevel.bootstrap`` vs R's ``PBmodcomp``.

The chapter-4 test of the block of five institution scores on the default twin
(``synth.load_example()``: 4,100 prisoners, 26 institutions), for each external type: the
institutional model (individual controls + five scores) against the individual model, with
B = 1,000 replicates on 1 and on 2 workers (target: at most 15 s per outcome on 2 cores).

In the same run, ``pbkrtest::PBmodcomp`` (lme4 refits, the reference implementation) runs on the
care model with ``--r-nsim`` replicates (default 10: a full 1,000 takes hours) on the same
frame; its time is scaled per replicate to B = 1,000. The observed LR statistics of the two are
compared (Laplace, so they agree to lme4's ~1e-3 deviance difference).

Writes ``benchmarks/results/pbmodcomp.json`` and the section ``## Parametric bootstrap LRT
(issue 12)`` of ``benchmarks/README.md``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_pbmodcomp.py              # ~5-10 min (mostly R)
    .venv/bin/python benchmarks/bench_pbmodcomp.py --skip-r
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
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reintegratie_stats import synth  # noqa: E402
from reintegratie_stats.multilevel import glmer  # noqa: E402
from reintegratie_stats.multilevel.bootstrap import pb_lrt  # noqa: E402
from reintegratie_stats.multilevel.facilitation import (  # noqa: E402
    DEFAULT_CONTROLS,
    GROUP,
    _standardise,
    institution_scores,
    join_scores,
)
from reintegratie_stats.schema import load_codebook  # noqa: E402

HEADING = "## Parametric bootstrap LRT (issue 12)"
NSIM = 1000

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lme4); library(pbkrtest); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); nsim <- as.integer(args[3])
d$institution_id <- factor(d$institution_id); d$sex <- factor(d$sex)
f_small <- contact_care ~ age + sex + weeks_detained + prior_convictions + (1 | institution_id)
f_big <- update(f_small, . ~ . + rating_reception + rating_communication + rating_information +
                  rating_facilities + rating_accessibility)
t_fit <- system.time({
  big <- glmer(f_big, data = d, family = binomial)
  small <- glmer(f_small, data = d, family = binomial)
})[["elapsed"]]
st <- system.time(pb <- PBmodcomp(big, small, nsim = nsim, seed = 1))
t_pb <- st[["elapsed"]]; cpu_pb <- st[["user.self"]] + st[["sys.self"]]
out <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
            pbkrtest = as.character(packageVersion("pbkrtest")), nsim = nsim,
            fit_s = t_fit, pbmodcomp_s = t_pb, pbmodcomp_cpu_s = cpu_pb,
            statistic = unname(pb$test["LRT", "stat"]), p_pb = unname(pb$test["PBtest", "p.value"]),
            n_used = unname(pb$samples["npos"]))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), args[2])
"""


def frame(outcome: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The frame ``facilitation_models`` fits for ``outcome`` on the default twin."""
    cb = load_codebook()
    scores = list(cb.facilitation_scores)
    d = synth.load_example()
    controls = [c for c in DEFAULT_CONTROLS if c in d.prisoners.columns]
    inst = institution_scores(d.professionals, scores)
    data = join_scores(d.prisoners, inst[[GROUP, *scores]])
    allvars = [outcome, GROUP, *controls, *scores]
    return (
        _standardise(data.loc[data[allvars].notna().all(axis=1), allvars], controls + scores),
        controls,
        scores,
    )


def run_python(outcome: str) -> dict:
    d, controls, scores = frame(outcome)
    big = glmer(f"{outcome} ~ {' + '.join(controls + scores)} + (1 | {GROUP})", d)
    out: dict = {"outcome": outcome, "nobs": big.nobs}
    for n_jobs in (1, 2):
        t0, c0 = time.perf_counter(), time.process_time()
        r = pb_lrt(big, d, scores, nsim=NSIM, seed=1, n_jobs=n_jobs)
        out[f"time_s_{n_jobs}"] = time.perf_counter() - t0
        if n_jobs == 1:  # CPU seconds: what the run costs whatever else the machine is doing
            out["cpu_s_1"] = time.process_time() - c0
        out["statistic"], out["p_pb"], out["n_used"] = r.statistic, r.pvalue, r.n_used
        out.setdefault("p_by_n_jobs", []).append(r.pvalue)
    return out


def run_r(nsim: int, tmp: Path) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    d, _, _ = frame("contact_care")
    csv, js, script = tmp / "care.csv", tmp / "r.json", tmp / "pb.R"
    d.to_csv(csv, index=False)
    script.write_text(R_SCRIPT)
    t0 = time.perf_counter()
    subprocess.run(["Rscript", str(script), str(csv), str(js), str(nsim)], check=True)
    res = json.loads(js.read_text())
    res["wall_s"] = time.perf_counter() - t0
    res["per_replicate_s"] = res["pbmodcomp_s"] / nsim
    res["scaled_1000_s"] = res["per_replicate_s"] * NSIM
    res["cpu_per_replicate_s"] = res["pbmodcomp_cpu_s"] / nsim
    res["cpu_scaled_1000_s"] = res["cpu_per_replicate_s"] * NSIM
    return res


def markdown(res: dict) -> str:
    meta = res["meta"]
    lines = [
        HEADING,
        "",
        "Block of five institution scores, institutional vs individual model, default twin "
        f"(4,100 prisoners, 26 institutions), B = {NSIM:,} replicates; run {meta['when']}, "
        f"{meta['cpus']} cores shared with other jobs (load {meta['load']}).",
        "",
        "| outcome | LR | bootstrap p | 1 worker: CPU s | 1 worker: wall s | 2 workers: wall s |",
        "|---|---|---|---|---|---|",
    ]
    for r in res["python"]:
        lines.append(
            f"| {r['outcome'].removeprefix('contact_')} | {r['statistic']:.3f} | {r['p_pb']:.3f} | "
            f"{r['cpu_s_1']:.1f} | {r['time_s_1']:.1f} | {r['time_s_2']:.1f} |"
        )
    rr = res.get("r")
    lines.append("")
    if rr:
        care = next(r for r in res["python"] if r["outcome"] == "contact_care")
        lines.append(
            f"R `PBmodcomp` ({rr['R'].split(' (')[0]}, lme4 {rr['lme4']}, pbkrtest "
            f"{rr['pbkrtest']}) on the care model: {rr['nsim']} replicates in "
            f"{rr['pbmodcomp_s']:.1f} s wall, {rr['pbmodcomp_cpu_s']:.1f} s CPU = "
            f"{rr['cpu_per_replicate_s']:.2f} CPU s per replicate, i.e. "
            f"**{rr['cpu_scaled_1000_s'] / 60:.0f} CPU min for {NSIM:,}** (scaled per replicate; "
            f"not run in full) against {care['cpu_s_1']:.1f} CPU s here "
            f"({rr['cpu_scaled_1000_s'] / care['cpu_s_1']:.0f}x less CPU). Observed LR: R "
            f"{rr['statistic']:.4f}, here {care['statistic']:.4f}."
        )
    else:
        lines.append("R was not run (`--skip-r` or no Rscript).")
    lines += [
        "",
        "Target (issue 12): 1,000 replicates in at most 15 s per outcome on 2 cores. Wall "
        "times depend on the other jobs on the machine (see the load); CPU seconds depend on it "
        "less (on this shared machine they still grow with the load: R's CPU per replicate "
        "was 14.3 s at load ~8 and 21.1 s at load ~9, ours 5.7 and 10.0 s for the care model, "
        "so the ratio to R is the load-independent figure), and CPU / 2 is the wall time on 2 "
        "idle cores up to the ~1 s worker start. Where the time goes: the transcendental "
        "functions on every row (`expit` per conditional-mode iteration, `exp`/`log1p` in the "
        "log-likelihood; ~13.5 deviance evaluations per replicate for both refits); refitting 50 "
        "replicates per numpy call was tried and was no faster (the cost is per element, not "
        "the interpreter). The refits stop at the tolerance a p-value needs (Newton decrement "
        "1e-6, modes 1e-9): ~13% fewer deviance evaluations, one mode iteration fewer. "
        f"In this run (load {meta['load']} at the start, {res['meta'].get('load_end', '?')} at "
        "the end) 2 workers took at most "
        f"{max(r['time_s_2'] for r in res['python']):.1f} s wall per outcome and CPU / 2 is at "
        f"most {max(r['cpu_s_1'] for r in res['python']) / 2:.1f} s: target "
        f"{'met' if max(r['time_s_2'] for r in res['python']) <= 15 else 'NOT met'} in wall "
        "time (a run at load ~9 on 2 December took 28-60 s wall for the same CPU work). The "
        "p-value depends on the seed only (identical for 1 and 2 workers: "
        f"{all(len(set(r['p_by_n_jobs'])) == 1 for r in res['python'])}). Raw numbers: "
        "`benchmarks/results/pbmodcomp.json`.",
        "",
    ]
    return "\n".join(lines)


def write_readme(section: str, path: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if HEADING in text:
        start = text.index(HEADING)
        nxt = text.find("\n## ", start + len(HEADING))
        rest = text[nxt + 1 :] if nxt >= 0 else ""
        text = text[:start] + section.rstrip("\n") + ("\n\n" + rest if rest else "\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--r-nsim", type=int, default=10)
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--outcomes", default="probation,municipality,care,volunteer")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pbmodcomp.json"))
    ap.add_argument("--readme", default=str(ROOT / "benchmarks" / "README.md"))
    ap.add_argument("--render-only", action="store_true", help="rewrite the README from --out")
    args = ap.parse_args()
    if args.render_only:
        write_readme(markdown(json.loads(Path(args.out).read_text())), Path(args.readme))
        return
    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
    }
    res: dict = {"meta": meta, "python": []}
    for o in args.outcomes.split(","):
        res["python"].append(run_python(f"contact_{o}"))
        print(res["python"][-1], flush=True)
    if not args.skip_r:
        with tempfile.TemporaryDirectory() as tmp:
            res["r"] = run_r(args.r_nsim, Path(tmp))
    res["meta"]["load_end"] = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2, default=float))
    write_readme(markdown(res), Path(args.readme))
    print(markdown(res))


if __name__ == "__main__":
    main()
