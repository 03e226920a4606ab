"""The chapter-5 analysis frame and model formulas.

:func:`analysis_frame` selects the soon-to-be-released prisoners (by default), derives the
predictors (general satisfaction from internal and from external professionals, instrumental
support averaged over domains, any prior need, the overall preparedness scale) and counts every
row it leaves out. :func:`domain_formula` / :func:`overall_formula` write the models of
SPEC §3 item 4: preparedness on satisfaction and on instrumental support from internal and
external professionals, with the support × prior-need interaction and controls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..derive import n_needs
from ..derive import soon_released as derive_soon_released
from ..schema import Codebook, load_codebook
from .scales import preparedness_scale, prep_items

__all__ = [
    "DEFAULT_CONTROLS",
    "AnalysisFrame",
    "analysis_frame",
    "domain_formula",
    "overall_formula",
]

#: Registration controls used by default (terms of the formula; absent columns are skipped).
DEFAULT_CONTROLS: tuple[str, ...] = ("age", "C(sex)", "prior_convictions", "weeks_detained")


@dataclass
class AnalysisFrame:
    """The analysis sample and how it was reached.

    Attributes
    ----------
    data : pandas.DataFrame
        Selected rows (a copy) with the derived columns added.
    n_input : int
        Rows of the input frame.
    excluded : pandas.DataFrame
        One row per exclusion reason: ``reason``, ``n``.
    controls : tuple of str
        Control terms available in ``data``.
    """

    data: pd.DataFrame
    n_input: int
    excluded: pd.DataFrame
    controls: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_excluded(self) -> int:
        return int(self.excluded["n"].sum())


def _row_mean(block: pd.DataFrame) -> pd.Series:
    return block.astype(float).mean(axis=1, skipna=True).where(block.notna().any(axis=1))


def _available_controls(data: pd.DataFrame, controls: Sequence[str]) -> tuple[str, ...]:
    out = []
    for term in controls:
        col = term[2:-1] if term.startswith("C(") and term.endswith(")") else term
        if col in data.columns and data[col].notna().any():
            if term.startswith("C(") and data[col].dropna().nunique() < 2:
                continue  # one level: nothing to control for
            out.append(term)
    return tuple(out)


def analysis_frame(
    prisoners: pd.DataFrame,
    *,
    soon_released_only: bool = True,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    min_prep_items: int | None = None,
    codebook: Codebook | None = None,
) -> AnalysisFrame:
    """Build the chapter-5 analysis frame.

    Parameters
    ----------
    prisoners : pandas.DataFrame
        Canonical prisoners frame (not modified).
    soon_released_only : bool
        Keep only ``soon_released == 1`` (derived from ``weeks_to_release`` when absent).
    controls : sequence of str
        Candidate control terms; those whose column is absent or constant are skipped.
    min_prep_items : int, optional
        Answered ``prep_<domain>`` items needed for ``prep_overall`` (default all).

    Returns
    -------
    AnalysisFrame
        ``data`` has the added columns ``sat_internal``, ``sat_external``, ``instr_int_mean``,
        ``instr_ext_mean``, ``n_needs``, ``any_need``, ``prep_overall`` (see the codebook);
        ``excluded`` counts ``not_soon_released`` and ``release_date_unknown``.
    """
    cb = codebook or load_codebook()
    if not isinstance(prisoners, pd.DataFrame):
        raise TypeError("prisoners must be a pandas DataFrame")
    df = prisoners.copy()
    reasons: list[tuple[str, int]] = []
    if soon_released_only:
        if "soon_released" in df.columns:
            sr = df["soon_released"].astype(float)
        elif "weeks_to_release" in df.columns:
            sr = derive_soon_released(df)
        else:
            raise ValueError(
                "soon_released_only=True needs a 'soon_released' or 'weeks_to_release' column"
            )
        reasons.append(("release_date_unknown", int(sr.isna().sum())))
        reasons.append(("not_soon_released", int((sr == 0).sum())))
        df = df.loc[sr == 1].copy()
        if df.empty:
            raise ValueError("no soon-to-be-released prisoners (soon_released == 1) in the data")
    sat_int = [f"sat_{t}" for t in cb.internal_types if f"sat_{t}" in df.columns]
    sat_ext = [f"sat_{t}" for t in cb.external_types if f"sat_{t}" in df.columns]
    if sat_int:
        df["sat_internal"] = _row_mean(df[sat_int])
    if sat_ext:
        df["sat_external"] = _row_mean(df[sat_ext])
    for side in ("int", "ext"):
        cols = [f"instr_{side}_{d}" for d in cb.domains if f"instr_{side}_{d}" in df.columns]
        if cols:
            df[f"instr_{side}_mean"] = _row_mean(df[cols])
    classic = tuple(d for d in cb.domains if d != "social_network")
    if all(f"need_{d}" in df.columns for d in classic):
        df["n_needs"] = n_needs(df, cb)
        df["any_need"] = (df["n_needs"] >= 1).astype(float).where(df["n_needs"].notna())
    items = [c for c in prep_items(cb) if c in df.columns]
    if len(items) >= 2:
        df["prep_overall"] = preparedness_scale(df, items, min_items=min_prep_items)
    excluded = pd.DataFrame(reasons, columns=["reason", "n"])
    return AnalysisFrame(
        data=df, n_input=len(prisoners), excluded=excluded, controls=_available_controls(df, controls)
    )


def _rhs(parts: list[str], controls: Sequence[str]) -> str:
    return " + ".join(parts + list(controls))


def domain_formula(
    domain: str,
    controls: Sequence[str] = (),
    *,
    general: bool = True,
    interaction: bool = True,
    sides: Sequence[Literal["int", "ext"]] = ("int", "ext"),
) -> str:
    """``prep_<domain> ~ sat_internal + sat_external + (instr_int_<d> + instr_ext_<d>) * need_<d> + controls``.

    Examples
    --------
    >>> domain_formula("housing", ["age"])
    'prep_housing ~ sat_internal + sat_external + instr_int_housing + instr_ext_housing + need_housing + instr_int_housing:need_housing + instr_ext_housing:need_housing + age'
    """
    sup = [f"instr_{s}_{domain}" for s in sides]
    parts = (["sat_internal", "sat_external"] if general else []) + sup + [f"need_{domain}"]
    if interaction:
        parts += [f"{s}:need_{domain}" for s in sup]
    return f"prep_{domain} ~ " + _rhs(parts, controls)


def overall_formula(
    controls: Sequence[str] = (), *, general: bool = True, interaction: bool = True
) -> str:
    """``prep_overall ~ sat_internal + sat_external + (instr_int_mean + instr_ext_mean) * any_need + controls``."""
    sup = ["instr_int_mean", "instr_ext_mean"]
    parts = (["sat_internal", "sat_external"] if general else []) + sup + ["any_need"]
    if interaction:
        parts += [f"{s}:any_need" for s in sup]
    return "prep_overall ~ " + _rhs(parts, controls)


