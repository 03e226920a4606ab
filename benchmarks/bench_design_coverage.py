"""Calibration of the weighted chapter-2/3 inference on 200 twins (issue 12, point 6).

The twin calibrates each contact intercept to the published rate *given its realised
institution effects* (``truth["contact"][t]["intercept_calibrated"]``), so a twin's overall
rate does not vary between institutions samples and cannot show the clustering. Each replicate
therefore takes a fresh twin, ``synth.generate(seed)`` (26 new institutions, their sizes,
regimes, facilitation scores and prisoners), keeps its fixed part ``x'beta`` of each contact
model (``beta_marginal_approx``, design from ``synth.contact_design``) and draws *new*
institution effects ``u_j ~ N(0, sigma^2)`` (``sigma_institution_marginal_approx``) without
recalibrating: contact = Bernoulli(expit(x'beta + u_j)). The truth is the expected rate over
the institution effects, ``mean_i E_u expit(x_i'beta + u)`` (Gauss-Hermite, 60 nodes).
Unequal survey weights are added (an institution factor U(0.6, 1.8) times a log-normal person
factor, sd 0.4, independent of the answers, so every weighting targets the same rate).
Three 95% intervals per contact rate:

- ``design``: the new default, ``weights_method="design"`` (svyciprop logit, institutions as
  clusters, t on 25 df);
- ``kish``: the old weighted default, Wilson on the Kish effective n;
- ``unweighted``: Wilson on n, what the reference report (which passes no weight) prints.

The tests: a 0/1 exposure that varies by institution but is independent of contact (the null)
is tested against each contact type with the Rao-Scott F test (design), the Kish-rescaled
chi-square and the unweighted chi-square; the share of p < 0.05 is the rejection rate.

Run from the repository root (about 4 minutes on 2 shared cores)::

    PYTHONPATH=src /work/main/.venv/bin/python benchmarks/bench_design_coverage.py [n_twins]

Writes ``benchmarks/results/design_coverage.json`` and the section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from reintegratie_stats.bivariate import crosstab_tests
from reintegratie_stats.descriptives import contact_rates
from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import contact_design, generate

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Weighted inference with 26 institutions (issue 12, point 6)"
FIRST_SEED = 100


def one_twin(seed: int, types: list[str]) -> dict:
    twin = generate(seed=seed)
    p = twin.prisoners
    x = contact_design(p, twin.institutions, twin.professionals)
    rng = np.random.default_rng(10_000 + seed)
    codes, uniq = np.unique(p["institution_id"].to_numpy(), return_inverse=True)
    nodes, qw = np.polynomial.hermite_e.hermegauss(60)
    qw = qw / qw.sum()
    truth, new = {}, {}
    for t in types:
        tt = twin.truth["contact"][t]
        beta = pd.Series(tt["beta_marginal_approx"])
        sigma = float(tt["sigma_institution_marginal_approx"])
        eta = x[beta.index].to_numpy() @ beta.to_numpy()
        truth[t] = float(np.mean(expit(eta[:, None] + sigma * nodes[None, :]) @ qw))
        u = rng.normal(0, sigma, codes.size)[uniq]
        new[f"contact_{t}"] = rng.binomial(1, expit(eta + u)).astype(float)
    w = rng.uniform(0.6, 1.8, codes.size)[uniq] * np.exp(rng.normal(0, 0.4, len(p)))
    v = rng.normal(0, 0.8, codes.size)[uniq]
    exposure = rng.binomial(1, expit(-0.8 + v)).astype(float)
    d = p.assign(weight=w, exposure=exposure, **new)
    out: dict = {"seed": seed, "cover": {}, "reject": {}, "se": {}}
    for method, kw in (
        ("design", {"weight": "weight"}),
        ("kish", {"weight": "weight", "weights_method": "kish"}),
        ("unweighted", {}),
    ):
        r = contact_rates(d, types=types, **kw).set_index("type")
        out["cover"][method] = {
            t: bool(r.loc[t, "ci_low"] <= truth[t] <= r.loc[t, "ci_high"]) for t in types
        }
        out["se"][method] = {
            t: float((r.loc[t, "ci_high"] - r.loc[t, "ci_low"]) / (2 * 1.96)) for t in types
        }
        tests = crosstab_tests(
            d, ["exposure"], [f"contact_{t}" for t in types], p_adjust="none", **kw
        )
        out["reject"][method] = {
            o.removeprefix("contact_"): bool(pv < 0.05)
            for o, pv in zip(tests["outcome"], tests["p_value"], strict=True)
        }
    return out


def main(n_twins: int = 200) -> dict:
    types = list(load_codebook().professional_types)
    t0 = time.perf_counter()
    reps = [one_twin(FIRST_SEED + i, types) for i in range(n_twins)]
    wall = time.perf_counter() - t0
    methods = ("design", "kish", "unweighted")
    summary = {
        "n_twins": n_twins,
        "seeds": [FIRST_SEED, FIRST_SEED + n_twins - 1],
        "wall_seconds": round(wall, 1),
        "coverage": {
            m: {t: float(np.mean([r["cover"][m][t] for r in reps])) for t in types} for m in methods
        },
        "rejection": {
            m: {t: float(np.mean([r["reject"][m][t] for r in reps])) for t in types}
            for m in methods
        },
        "median_halfwidth_over_1.96": {
            m: {t: float(np.median([r["se"][m][t] for r in reps])) for t in types} for m in methods
        },
    }
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "design_coverage.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_readme(summary, types)
    return summary


def write_readme(s: dict, types: list[str]) -> None:
    n = s["n_twins"]
    mc = 1.96 * np.sqrt(0.05 * 0.95 / n)
    lines = [
        HEADING,
        "",
        f"`benchmarks/bench_design_coverage.py`: {n} twins (seeds {s['seeds'][0]}-{s['seeds'][1]}, "
        "26 new institutions each) with unequal weights independent of the answers; 95% "
        "intervals of the six contact rates against the truth (expected rate over the "
        "institution effects), and 5% tests of an institution-clustered exposure that is "
        "independent of contact (the null). Each twin keeps its fixed part and draws new "
        "institution effects (the twin calibrates its intercepts to its realised effects, see "
        "the script). *design* = the new weighted default "
        '(`weights_method="design"`: svyciprop logit / Rao-Scott F, institutions as clusters), '
        "*kish* = the old weighted default (Kish effective n), *unweighted* = Wilson / "
        "chi-square on n, as the reference report prints (it passes no weight). "
        f"Monte Carlo error of a share near 95% or 5%: +-{mc:.3f}. Wall time {s['wall_seconds']} s. "
        "Raw numbers: `benchmarks/results/design_coverage.json`.",
        "",
        "| type | coverage design | coverage kish | coverage unweighted | rejection design | "
        "rejection kish | rejection unweighted | SE design / kish |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    c, r, h = s["coverage"], s["rejection"], s["median_halfwidth_over_1.96"]
    for t in types:
        lines.append(
            f"| {t} | {c['design'][t]:.3f} | {c['kish'][t]:.3f} | {c['unweighted'][t]:.3f} | "
            f"{r['design'][t]:.3f} | {r['kish'][t]:.3f} | {r['unweighted'][t]:.3f} | "
            f"{h['design'][t] / h['kish'][t]:.2f} |"
        )
    block = "\n".join(lines) + "\n"
    readme = ROOT / "benchmarks" / "README.md"
    text = readme.read_text()
    pat = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pat.sub(block + "\n", text) if pat.search(text) else text.rstrip("\n") + "\n\n" + block
    readme.write_text(text)


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
