"""Shared helpers for the multivariate tests (data with canonical names and known truth)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).parent / "reference"


def load_ref(name: str) -> dict:
    return json.loads((REF / f"{name}.json").read_text())


def small() -> pd.DataFrame:
    return pd.read_csv(REF / "mv_small.csv")


def r_name(term: str) -> str:
    return "(Intercept)" if term == "Intercept" else term


#: True coefficients of :func:`simulate_prisoners` (prep_<d> = ... per domain d).
TRUE = {
    "Intercept": 2.0,
    "sat_internal": 0.10,
    "sat_external": 0.10,
    "instr_int": 0.05,
    "instr_ext": 0.25,
    "need": -0.60,
    "instr_int:need": 0.05,
    "instr_ext:need": 0.15,
    "age": 0.005,
}
DOMAINS = ("work_income", "housing", "finances", "health", "id", "social_network")


def simulate_prisoners(n: int = 1500, n_inst: int = 26, seed: int = 7) -> pd.DataFrame:
    """A prisoners frame with canonical column names and known preparedness coefficients.

    Preparedness is continuous (not rounded) so that linear models are exactly specified;
    an institution random intercept (sd 0.3) and a person effect shared across domains
    (sd 0.4) make the domains correlated (as in the real data).
    """
    rng = np.random.default_rng(seed)
    inst = np.array([f"PI{i + 1:02d}" for i in range(n_inst)])
    g = rng.integers(0, n_inst, n)
    u = rng.normal(0, 0.3, n_inst)[g]
    person = rng.normal(0, 0.4, n)
    df = pd.DataFrame({"prisoner_id": [f"P{i:05d}" for i in range(n)], "institution_id": inst[g]})
    df["regime"] = rng.choice(["HvB", "GBM", "BBA"], n)
    df["sex"] = rng.choice(["male", "female"], n, p=[0.9, 0.1])
    df["age"] = rng.integers(18, 70, n).astype(float)
    df["weeks_detained"] = rng.uniform(1, 100, n)
    df["weeks_to_release"] = np.where(
        rng.random(n) < 0.8, rng.uniform(0, 12, n), rng.uniform(14, 60, n)
    )
    df["soon_released"] = (df["weeks_to_release"] <= 13).astype(float)
    df["prior_convictions"] = rng.poisson(3, n).astype(float)
    for t in ("casemanager", "mentor", "probation", "municipality", "care", "volunteer"):
        c = rng.binomial(1, 0.6 if t in ("casemanager", "mentor") else 0.4, n).astype(float)
        df[f"contact_{t}"] = c
        df[f"sat_{t}"] = np.where(c == 1, rng.integers(1, 6, n), np.nan).astype(float)
    sat_int = df[["sat_casemanager", "sat_mentor"]].mean(axis=1)
    sat_ext = df[["sat_probation", "sat_municipality", "sat_care", "sat_volunteer"]].mean(axis=1)
    for d in DOMAINS:
        need = rng.binomial(1, 0.35, n).astype(float)
        ii = rng.integers(1, 6, n).astype(float)
        ie = rng.integers(1, 6, n).astype(float)
        df[f"need_{d}"] = need
        df[f"instr_int_{d}"] = ii
        df[f"instr_ext_{d}"] = ie
        t = TRUE
        mu = (
            t["Intercept"]
            + t["sat_internal"] * sat_int.fillna(3).to_numpy()
            + t["sat_external"] * sat_ext.fillna(3).to_numpy()
            + t["instr_int"] * ii
            + t["instr_ext"] * ie
            + t["need"] * need
            + t["instr_int:need"] * ii * need
            + t["instr_ext:need"] * ie * need
            + t["age"] * df["age"].to_numpy()
        )
        df[f"prep_{d}"] = mu + u + person + rng.normal(0, 0.6, n)
    df["has_children"] = rng.binomial(1, 0.45, n).astype(float)
    df["has_partner"] = rng.binomial(1, 0.5, n).astype(float)
    df["visits_partner"] = np.where(df["has_partner"] == 1, rng.poisson(2, n), np.nan)
    df["visits_children"] = np.where(df["has_children"] == 1, rng.poisson(1.5, n), np.nan)
    df["video_calls_month"] = rng.poisson(1, n).astype(float)
    df["parent_child_day"] = np.where(df["has_children"] == 1, rng.binomial(1, 0.3, n), np.nan)
    df["family_approach_shell"] = rng.choice([0.0, 1.0, 2.0, 3.0], n, p=[0.7, 0.15, 0.1, 0.05])
    return df
