"""Design matrices of the twin's true models, built from the canonical (observed) columns.

These functions are the bridge between ``truth.json`` and a model fitted on the twin: the
columns they return are exactly the term names of ``truth["contact"][type]["beta"]`` and
``truth["preparedness"]["domains"][domain]["beta"]``, so ``design @ beta`` is the true linear
predictor (contact, logit scale, without the institution intercept) or the true conditional
mean (preparedness, 1-5 scale). See ``docs/synthetic_twin.md``.

Examples
--------
>>> from reintegratie_stats.synth import load_example, contact_design
>>> d = load_example()
>>> X = contact_design(d.prisoners, d.institutions, d.professionals)
>>> list(X.columns[:3])
['Intercept', 'first_6_weeks', 'short_stay']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import Codebook, load_codebook
from .params import CONTACT_TERMS

__all__ = [
    "contact_design",
    "family_contact",
    "institution_covariates",
    "preparedness_design",
    "preparedness_terms",
]

_FACILITATION_PARTS = (
    "rating_reception",
    "rating_communication",
    "rating_information",
    "rating_facilities",
)


def institution_covariates(institutions: pd.DataFrame, professionals: pd.DataFrame) -> pd.DataFrame:
    """Institution scores aggregated from the professionals' survey, as the DGP uses them.

    Parameters
    ----------
    institutions, professionals : DataFrame
        Canonical tables.

    Returns
    -------
    DataFrame
        One row per institution (index ``institution_id``) with columns
        ``rating_reception``, ``rating_communication``, ``rating_information``,
        ``rating_facilities``, ``rating_accessibility`` (mean rating of the institution's
        professionals, all organisation types, missing ratings skipped),
        ``facilitation`` (mean of the first four) and ``travel_time_min``.
    """
    cols = [*_FACILITATION_PARTS, "rating_accessibility"]
    means = professionals.groupby("institution_id", sort=True)[cols].mean()
    out = means.reindex(institutions["institution_id"].astype(str).to_numpy())
    out.index.name = "institution_id"
    out["facilitation"] = out[list(_FACILITATION_PARTS)].mean(axis=1)
    out["travel_time_min"] = institutions["travel_time_min"].astype(float).to_numpy()
    return out


def contact_design(
    prisoners: pd.DataFrame,
    institutions: pd.DataFrame,
    professionals: pd.DataFrame,
) -> pd.DataFrame:
    """Fixed-effect design of every contact type (columns = ``truth`` term names).

    Terms: ``Intercept``; ``first_6_weeks`` (weeks_detained < 6); ``short_stay``
    (6 <= weeks_detained < 13); ``last_3_months`` (phase == "last_3_months"); regime dummies
    ``regime_<R>`` with HvB as reference; the six ``need_<domain>`` indicators;
    ``facilitation`` and ``travel_time_min`` of the prisoner's institution (from
    :func:`institution_covariates`).

    Returns
    -------
    DataFrame
        Float64, same index as ``prisoners``.
    """
    wd = prisoners["weeks_detained"].to_numpy(dtype=float)
    regime = prisoners["regime"].astype(str).to_numpy()
    cov = institution_covariates(institutions, professionals)
    inst = prisoners["institution_id"].astype(str).to_numpy()
    pos = cov.index.get_indexer(inst)
    if (pos < 0).any():
        bad = sorted(set(inst[pos < 0]))[:5]
        raise ValueError(f"prisoners.institution_id not in institutions: {bad}")
    cols: dict[str, np.ndarray] = {
        "Intercept": np.ones(len(prisoners)),
        "first_6_weeks": (wd < 6).astype(float),
        "short_stay": ((wd >= 6) & (wd < 13)).astype(float),
        "last_3_months": (prisoners["phase"].astype(str).to_numpy() == "last_3_months").astype(
            float
        ),
    }
    for r in ("GBM", "BBA", "EZV", "ISD", "PPC"):
        cols[f"regime_{r}"] = (regime == r).astype(float)
    for term in CONTACT_TERMS:
        if term.startswith("need_"):
            cols[term] = prisoners[term].to_numpy(dtype=float)
    cols["facilitation"] = cov["facilitation"].to_numpy()[pos]
    cols["travel_time_min"] = cov["travel_time_min"].to_numpy()[pos]
    nan_wd = np.isnan(wd)
    for c in ("first_6_weeks", "short_stay"):
        cols[c][nan_wd] = np.nan
    return pd.DataFrame({t: cols[t] for t in CONTACT_TERMS}, index=prisoners.index)


def family_contact(prisoners: pd.DataFrame) -> pd.Series:
    """1 if visited by partner, children or other family in the last month, else 0.

    Routed-out visit questions (no partner / no children) count as no visit.
    """
    v = sum(
        prisoners[c].fillna(0.0).to_numpy(dtype=float)
        for c in ("visits_partner", "visits_children", "visits_family")
    )
    out = (v > 0).astype(float)
    allnan = prisoners[["visits_partner", "visits_children", "visits_family"]].isna().all(axis=1)
    return pd.Series(np.where(allnan, np.nan, out), index=prisoners.index, name="family_contact")


def _mean_centred(block: pd.DataFrame) -> np.ndarray:
    """Row mean of the available items minus 3; 0 where none is available."""
    total = np.zeros(len(block))
    count = np.zeros(len(block))
    for c in block.columns:
        x = block[c].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        total += np.where(ok, x, 0.0)
        count += ok
    return np.where(count > 0, total / np.maximum(count, 1) - 3.0, 0.0)


def preparedness_terms(domain: str) -> tuple[str, ...]:
    """Term names of the preparedness mean for ``domain`` (see :func:`preparedness_design`)."""
    d = domain
    terms = (
        "Intercept",
        f"need_{d}",
        "sat_int_c",
        "sat_ext_c",
        f"instr_int_{d}_c",
        f"instr_ext_{d}_c",
        f"need_{d}:instr_int_{d}_c",
        f"need_{d}:instr_ext_{d}_c",
    )
    return (*terms, "family_contact") if d == "social_network" else terms


def preparedness_design(
    prisoners: pd.DataFrame, domain: str | None = None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Design of the true preparedness mean ``E[prep_<domain> | X] = X @ beta`` (exact).

    Columns: ``Intercept``; ``need_<d>``; ``sat_int_c`` = mean of the available
    ``sat_casemanager``/``sat_mentor`` minus 3 (0 where no internal contact); ``sat_ext_c``
    likewise over the four external types; ``instr_int_<d>_c`` = ``instr_int_<d>`` - 3
    (0 where no internal support was received); ``instr_ext_<d>_c`` likewise; the two
    interactions ``need_<d>:instr_*_<d>_c``; for ``social_network`` also ``family_contact``
    (:func:`family_contact`). With ``domain=None`` the union of all domains' columns is
    returned, the design of the mean of the six ``prep_*`` items
    (``truth["preparedness"]["overall"]``).
    """
    cb = codebook or load_codebook()
    if domain is not None and domain not in cb.domains:
        raise ValueError(f"unknown domain {domain!r}; the codebook has {cb.domains}")
    sat_int = _mean_centred(prisoners[[f"sat_{t}" for t in cb.internal_types]])
    sat_ext = _mean_centred(prisoners[[f"sat_{t}" for t in cb.external_types]])
    cols: dict[str, np.ndarray] = {
        "Intercept": np.ones(len(prisoners)),
        "sat_int_c": sat_int,
        "sat_ext_c": sat_ext,
    }
    for d in [domain] if domain else cb.domains:
        need = prisoners[f"need_{d}"].to_numpy(dtype=float)
        ii = prisoners[f"instr_int_{d}"].to_numpy(dtype=float) - 3.0
        ie = prisoners[f"instr_ext_{d}"].to_numpy(dtype=float) - 3.0
        ii = np.where(np.isnan(ii), 0.0, ii)
        ie = np.where(np.isnan(ie), 0.0, ie)
        cols[f"need_{d}"] = need
        cols[f"instr_int_{d}_c"] = ii
        cols[f"instr_ext_{d}_c"] = ie
        cols[f"need_{d}:instr_int_{d}_c"] = need * ii
        cols[f"need_{d}:instr_ext_{d}_c"] = need * ie
        if d == "social_network":
            cols["family_contact"] = family_contact(prisoners).to_numpy()
    order: list[str] = []
    for d in [domain] if domain else cb.domains:
        order += [t for t in preparedness_terms(d) if t not in order]
    return pd.DataFrame({t: cols[t] for t in order}, index=prisoners.index)
