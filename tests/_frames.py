"""Small prisoners frames with canonical names for the descriptives/bivariate tests.

The data-generating process has the SPEC §2 directions built in (need -> less internal contact,
matched need -> more matched external contact, first 6 weeks lower, EZV/ISD more external
contact, a shared person effect so contacts co-occur), so tests can check that the functions
find them before the synthetic twin lands. Lists come from the codebook.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reintegratie_stats.schema import load_codebook

CB = load_codebook()
BASE = {
    "casemanager": 0.6,
    "mentor": 0.5,
    "probation": -0.2,
    "municipality": -1.4,
    "care": -1.4,
    "volunteer": -1.4,
}
SAT_MEAN = {
    "casemanager": 4.0,
    "mentor": 4.0,
    "probation": 2.6,
    "municipality": 2.6,
    "care": 4.0,
    "volunteer": 4.1,
}


def simulate_prisoners(n: int = 1500, seed: int = 0, *, missing: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d: dict[str, object] = {
        "prisoner_id": [f"P{i:05d}" for i in range(n)],
        "institution_id": rng.choice([f"PI{i:02d}" for i in range(1, 13)], n),
        "regime": rng.choice(CB.regimes, n, p=[0.3, 0.3, 0.1, 0.1, 0.1, 0.1]),
        "weeks_detained": rng.gamma(1.2, 12.0, n),
        "weeks_to_release": rng.gamma(1.5, 12.0, n),
    }
    for dm in CB.domains:
        d[f"need_{dm}"] = rng.binomial(1, 0.3, n).astype(float)
    df = pd.DataFrame(d)
    n_needs = (
        df[[f"need_{dm}" for dm in CB.domains if dm != "social_network"]].sum(axis=1).to_numpy()
    )
    first = (df["weeks_detained"] < 6).to_numpy()
    ext_regime = df["regime"].isin(["EZV", "ISD"]).to_numpy()
    u = rng.normal(0, 0.8, n)  # shared person effect: contacts co-occur
    for t in CB.professional_types:
        eta = BASE[t] + u - 0.8 * first
        if t in CB.internal_types:
            eta = eta - 0.35 * n_needs
        else:
            eta = eta + 0.6 * ext_regime
            for need in CB.matched_needs(t):
                eta = eta + 0.9 * df[f"need_{need}"].to_numpy()
        c = rng.binomial(1, 1 / (1 + np.exp(-eta))).astype(float)
        df[f"contact_{t}"] = c
        sat = np.clip(np.rint(rng.normal(SAT_MEAN[t], 0.9, n)), 1, 5)
        df[f"sat_{t}"] = np.where(c == 1, sat, np.nan)
    df["has_children"] = rng.binomial(1, 0.45, n).astype(float)
    df["has_partner"] = rng.binomial(1, 0.5, n).astype(float)
    df["visits_partner"] = np.where(df["has_partner"] == 1, rng.poisson(1.2, n), np.nan)
    df["visits_children"] = np.where(df["has_children"] == 1, rng.poisson(0.8, n), np.nan)
    df["visits_family"] = rng.poisson(0.6 + 0.4 * df["has_children"].to_numpy(), n).astype(float)
    df["phone_calls_week"] = rng.poisson(2.0, n).astype(float)
    df["parent_child_day"] = np.where(df["has_children"] == 1, rng.binomial(1, 0.25, n), np.nan)
    df["family_room_visit"] = rng.binomial(1, 0.1 + 0.1 * df["has_children"].to_numpy(), n).astype(
        float
    )
    df["family_approach_shell"] = rng.choice([0.0, 1.0, 2.0, 3.0], n, p=[0.7, 0.15, 0.1, 0.05])
    df["weight"] = rng.uniform(0.5, 2.0, n)
    if missing:
        for col in ["contact_care", "need_health", "regime", "visits_family"]:
            df.loc[rng.random(n) < missing, col] = np.nan if col != "regime" else None
    return df
