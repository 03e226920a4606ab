"""Shared data for the multilevel tests (reference files and a seeded simulator)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).parent / "reference"


def cbpp01() -> pd.DataFrame:
    """lme4's cbpp expanded to one 0/1 row per animal (same order as glmm_cbpp.R)."""
    cb = pd.read_csv(REF / "cbpp.csv", dtype={"herd": str, "period": str})
    rows = np.repeat(np.arange(len(cb)), cb["size"].to_numpy())
    within = np.concatenate([np.arange(s) for s in cb["size"]])
    out = cb.iloc[rows][["herd", "period"]].reset_index(drop=True)
    out["y"] = (within < cb["incidence"].to_numpy()[rows]).astype(float)
    return out


def synth4100() -> pd.DataFrame:
    return pd.read_csv(REF / "glmm_synth_4100.csv", dtype={"g": str})


def r_reference() -> dict:
    return json.loads((REF / "glmm_cbpp.json").read_text())


def simulate(
    seed: int,
    n: int = 1200,
    n_groups: int = 26,
    beta: tuple[float, ...] = (-0.5, 0.4, -0.3),
    sd: float = 0.6,
) -> pd.DataFrame:
    """Prisoners in institutions with a known random-intercept logit model (canonical names)."""
    rng = np.random.default_rng(seed)
    inst = rng.integers(0, n_groups, n)
    age = rng.normal(35, 10, n)
    rating = rng.normal(0, 1, n_groups)[inst]
    eta = beta[0] + beta[1] * (age - 35) / 10 + beta[2] * rating + rng.normal(0, sd, n_groups)[inst]
    return pd.DataFrame(
        {
            "prisoner_id": [f"P{i:05d}" for i in range(n)],
            "institution_id": [f"PI{g + 1:02d}" for g in inst],
            "age_c": (age - 35) / 10,
            "rating_information": rating,
            "contact_probation": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
        }
    )


def simulate_tables(
    seed: int, n_inst: int = 26, n_pris: int = 3000, n_prof: int = 600
) -> dict[str, pd.DataFrame]:
    """Canonical institutions / professionals / prisoners with known chapter-4 effects.

    Contact with probation rises with the institution's information-exchange score
    (log-OR 1.0 per rating point); the other types do not depend on the scores. Family
    video calls rise with ``video_calling``.
    """
    rng = np.random.default_rng(seed)
    ids = [f"PI{i + 1:02d}" for i in range(n_inst)]
    inst = pd.DataFrame(
        {
            "institution_id": ids,
            "travel_time_min": rng.uniform(10, 120, n_inst).round(0),
            "has_family_room": rng.integers(0, 2, n_inst).astype(float),
            "has_child_friendly_visiting": rng.integers(0, 2, n_inst).astype(float),
            "has_father_wing": rng.integers(0, 2, n_inst).astype(float),
            "video_calling": rng.integers(0, 2, n_inst).astype(float),
            "parent_child_days_per_year": rng.integers(3, 13, n_inst).astype(float),
            "has_family_officer": rng.integers(0, 2, n_inst).astype(float),
        }
    )
    true_score = rng.normal(3.8, 0.45, (n_inst, 5))
    pi = rng.integers(0, n_inst, n_prof)
    ratings = np.clip(np.rint(true_score[pi] + rng.normal(0, 0.8, (n_prof, 5))), 1, 5)
    prof = pd.DataFrame(
        ratings,
        columns=[
            "rating_reception",
            "rating_communication",
            "rating_information",
            "rating_facilities",
            "rating_accessibility",
        ],
    )
    prof.insert(0, "institution_id", np.asarray(ids)[pi])
    prof.insert(0, "professional_id", [f"EP{i:04d}" for i in range(n_prof)])
    prof.insert(
        2, "org_type", rng.choice(["probation", "municipality", "care", "volunteer"], n_prof)
    )
    prof.loc[rng.random(n_prof) < 0.03, "rating_facilities"] = np.nan
    g = rng.integers(0, n_inst, n_pris)
    score_info = prof.groupby("institution_id")["rating_information"].mean().reindex(ids).to_numpy()
    age = rng.normal(36, 11, n_pris).clip(18, 80).round()
    pris = pd.DataFrame(
        {
            "prisoner_id": [f"P{i:05d}" for i in range(n_pris)],
            "institution_id": np.asarray(ids)[g],
            "age": age,
            "sex": rng.choice(["male", "female"], n_pris, p=[0.93, 0.07]),
            "weeks_detained": rng.gamma(1.5, 12, n_pris).round(1),
            "prior_convictions": rng.poisson(3, n_pris).astype(float),
        }
    )
    u = rng.normal(0, 0.5, (4, n_inst))
    base = {"probation": -0.3, "municipality": -1.4, "care": -1.4, "volunteer": -1.5}
    for k, t in enumerate(base):
        eta = base[t] - 0.01 * (age - 36) + u[k][g]
        if t == "probation":
            eta = eta + 1.0 * (score_info[g] - score_info.mean())
        pris[f"contact_{t}"] = (rng.random(n_pris) < 1 / (1 + np.exp(-eta))).astype(float)
    pris.loc[rng.random(n_pris) < 0.02, "age"] = np.nan
    kids = (rng.random(n_pris) < 0.45).astype(float)
    pris["has_children"] = kids
    vc = inst["video_calling"].to_numpy()[g]
    eta_v = -0.8 + 0.9 * vc + rng.normal(0, 0.4, n_inst)[g]
    pris["video_calls_month"] = np.where(
        rng.random(n_pris) < 1 / (1 + np.exp(-eta_v)), rng.integers(1, 6, n_pris), 0
    ).astype(float)
    pris["visits_children"] = np.where(
        rng.random(n_pris) < 0.5, rng.integers(1, 4, n_pris), 0
    ).astype(float)
    pris["parent_child_day"] = (rng.random(n_pris) < 0.25).astype(float)
    for c in ("visits_children", "parent_child_day"):
        pris.loc[kids == 0, c] = np.nan  # routed: asked only of parents
    return {"institutions": inst, "professionals": prof, "prisoners": pris}


#: For tests about fits, not about the bootstrap (tested in test_multilevel_bootstrap.py): the
#: chi-square block test and Wald t keep them from running 1,000-replicate bootstraps.
#: The synthetic-twin model the stage tests fit (a rating and a prisoner covariate).
SYNTH_FORMULA = "contact_probation ~ age_c + rating_information + (1 | institution_id)"

#: Three groups of five written out by hand, small enough for exact integrals.
TINY_Y = np.array([1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1], dtype=float)
TINY_X = np.array([0.5, -1.2, 0.3, 1.1, -0.4, -0.8, 0.2, 1.5, -1.0, 0.0, 0.9, 0.4, -0.3, -1.4, 0.7])
TINY_G = np.repeat(["a", "b", "c"], 5)
TINY = pd.DataFrame({"y": TINY_Y, "x": TINY_X, "g": TINY_G})

FAST_TESTS = {"term_test": "wald-t", "block_test": "chi2"}
