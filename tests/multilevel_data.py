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
