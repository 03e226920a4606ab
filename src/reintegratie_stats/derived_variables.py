"""Derived variables, computed from canonical columns with the rules in the codebook.

Every function takes the canonical prisoners frame and returns a new Series (or frame); none
modifies its input. The rules are those in ``data_schema/``: the phase cut-points
(``concepts.phase_cut_points``), the detention-length bands, the basic domains (domains without
``since:``) and the professional types. The variables computed here are exactly the prisoners
variables with a ``derivation`` key (``Codebook.derivable``; ``tests/test_derived_variables.py``
checks both directions).

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
    "COMPLEX_NEEDS_MIN",
    "add_derived",
    "complex_needs",
    "any_contact",
    "detention_length_band",
    "n_needs",
    "phase",
    "soon_released",
]

#: Complex needs: a problem in at least this many basic domains before detention (SPEC §3.1).
COMPLEX_NEEDS_MIN = 2


def phase(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.Series:
    """Phase of detention: ``first_6_weeks``, ``last_3_months`` or ``middle``.

    The cut-points are ``concepts.phase_cut_points`` (6 and 13 weeks). The first six weeks take
    precedence; ``last_3_months`` needs a known release date. Missing ``weeks_detained`` gives
    a missing phase.
    """
    first, last = (codebook or load_codebook()).phase_cut_points
    wd = df["weeks_detained"].astype(float)
    wr = (
        df["weeks_to_release"].astype(float)
        if "weeks_to_release" in df
        else pd.Series(np.nan, index=df.index)
    )
    out = np.where(
        wd < first,
        "first_6_weeks",
        np.where(wr <= last, "last_3_months", "middle"),
    )
    return pd.Series(out, index=df.index, name="phase", dtype=object).where(wd.notna())


def soon_released(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.Series:
    """1 where release is expected within 3 months (13 weeks), 0 otherwise, missing if unknown."""
    _, last = (codebook or load_codebook()).phase_cut_points
    wr = df["weeks_to_release"].astype(float)
    return (wr <= last).astype(float).where(wr.notna()).rename("soon_released")


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

    By default the basic domains are counted (``Codebook.basic_domains``: ``social_network``
    has ``since: 2019`` in the codebook and is not a basic condition in the thesis); pass
    ``domains`` to change that.
    """
    cb = codebook or load_codebook()
    doms = domains or cb.basic_domains
    cols = [f"need_{d}" for d in doms]
    return (
        df[cols]
        .sum(axis=1, min_count=len(cols))
        .where(df[cols].notna().all(axis=1))
        .rename("n_needs")
    )


def complex_needs(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.Series:
    """1 with a problem in at least two basic domains, 0 otherwise, missing if ``n_needs`` is."""
    n = df["n_needs"] if "n_needs" in df else n_needs(df, codebook)
    return (n >= COMPLEX_NEEDS_MIN).astype(float).where(n.notna()).rename("complex_needs")


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
        out["phase"] = phase(out, cb)
    if "soon_released" not in out and "weeks_to_release" in out:
        out["soon_released"] = soon_released(out, cb)
    if "weeks_detained" in out:
        out["detention_length_band"] = detention_length_band(out, cb)
    if all(f"need_{d}" in out for d in cb.basic_domains):
        out["n_needs"] = n_needs(out, cb)
        out["complex_needs"] = complex_needs(out, cb)
    if all(f"contact_{t}" in out for t in cb.professional_types):
        out["any_contact"] = any_contact(out, cb)
    return out
