"""Derived variables, computed from canonical columns with the rules in the codebook.

Every function takes the canonical prisoners frame and returns a new Series (or frame); none
modifies its input. The cut-points come from ``data_schema/concepts.yaml``.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"weeks_detained": [2.0, 20.0, 30.0], "weeks_to_release": [40.0, None, 5.0]})
>>> phase(df).tolist()
['first_6_weeks', 'middle', 'last_3_months']
>>> detention_length_band(df).tolist()
['lt_6w', '3m_6m', '6m_1y']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import Codebook, load_codebook

__all__ = [
    "FIRST_PHASE_WEEKS",
    "LAST_PHASE_WEEKS",
    "add_derived",
    "any_contact",
    "detention_length_band",
    "n_needs",
    "phase",
    "soon_released",
]

#: Phase cut-points (SPEC §3.1): first 6 weeks of detention, last 3 months (13 weeks) before release.
FIRST_PHASE_WEEKS = 6.0
LAST_PHASE_WEEKS = 13.0


def phase(df: pd.DataFrame) -> pd.Series:
    """Phase of detention: ``first_6_weeks``, ``last_3_months`` or ``middle``.

    The first six weeks take precedence; ``last_3_months`` needs a known release date.
    Missing ``weeks_detained`` gives a missing phase.
    """
    wd = df["weeks_detained"].astype(float)
    wr = (
        df["weeks_to_release"].astype(float)
        if "weeks_to_release" in df
        else pd.Series(np.nan, index=df.index)
    )
    out = np.where(
        wd < FIRST_PHASE_WEEKS,
        "first_6_weeks",
        np.where(wr <= LAST_PHASE_WEEKS, "last_3_months", "middle"),
    )
    return pd.Series(out, index=df.index, name="phase", dtype=object).where(wd.notna())


def soon_released(df: pd.DataFrame) -> pd.Series:
    """1 where release is expected within 3 months (13 weeks), 0 otherwise, missing if unknown."""
    wr = df["weeks_to_release"].astype(float)
    return (wr <= LAST_PHASE_WEEKS).astype(float).where(wr.notna()).rename("soon_released")


def detention_length_band(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.Series:
    """Band of ``weeks_detained`` by the ``detention_length_bands`` of the codebook."""
    bands = (codebook or load_codebook()).detention_length_bands
    edges = [-np.inf] + [
        b["upper_weeks"] if b["upper_weeks"] is not None else np.inf for b in bands
    ]
    codes = [b["code"] for b in bands]
    cut = pd.cut(df["weeks_detained"].astype(float), bins=edges, labels=codes, right=False)
    return cut.astype(object).where(cut.notna()).rename("detention_length_band")


def n_needs(
    df: pd.DataFrame, codebook: Codebook | None = None, *, domains: tuple[str, ...] | None = None
) -> pd.Series:
    """Number of domains with a problem before detention (missing if any need item is missing).

    By default the five classic domains are counted (``social_network`` was added in 2019 and
    is not a basic condition in the thesis); pass ``domains`` to change that.
    """
    cb = codebook or load_codebook()
    doms = domains or tuple(d for d in cb.domains if d != "social_network")
    cols = [f"need_{d}" for d in doms]
    return (
        df[cols]
        .sum(axis=1, min_count=len(cols))
        .where(df[cols].notna().all(axis=1))
        .rename("n_needs")
    )


def any_contact(
    df: pd.DataFrame, codebook: Codebook | None = None, *, types: tuple[str, ...] | None = None
) -> pd.Series:
    """1 if in contact with at least one of the professional types, 0 if with none.

    Missing when no type is 1 and at least one is missing (the answer cannot be known).
    """
    cb = codebook or load_codebook()
    cols = [f"contact_{t}" for t in (types or cb.professional_types)]
    block = df[cols].astype(float)
    anyone = (block == 1).any(axis=1)
    known = block.notna().all(axis=1)
    return pd.Series(
        np.where(anyone, 1.0, np.where(known, 0.0, np.nan)), index=df.index, name="any_contact"
    )


def add_derived(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """A copy of ``df`` with ``phase``, ``soon_released`` (when absent), ``detention_length_band``,
    ``n_needs``, ``complex_needs`` and ``any_contact`` added."""
    cb = codebook or load_codebook()
    out = df.copy()
    if "phase" not in out and "weeks_detained" in out:
        out["phase"] = phase(out)
    if "soon_released" not in out and "weeks_to_release" in out:
        out["soon_released"] = soon_released(out)
    if "weeks_detained" in out:
        out["detention_length_band"] = detention_length_band(out, cb)
    if all(f"need_{d}" in out for d in cb.domains if d != "social_network"):
        out["n_needs"] = n_needs(out, cb)
        out["complex_needs"] = (out["n_needs"] >= 2).astype(float).where(out["n_needs"].notna())
    if all(f"contact_{t}" in out for t in cb.professional_types):
        out["any_contact"] = any_contact(out, cb)
    return out
