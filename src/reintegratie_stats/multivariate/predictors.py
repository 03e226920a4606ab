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

import pandas as pd

from ..derived_variables import n_needs
from ..derived_variables import soon_released as derive_soon_released
from ..disclosure import collapse_small_categories
from ..schema import Codebook, load_codebook
from .scales import prep_items, preparedness_scale

__all__ = [
    "DEFAULT_CONTROLS",
    "FAMILY_VISITS",
    "AnalysisFrame",
    "family_contact",
    "analysis_frame",
    "domain_formula",
    "overall_formula",
    "support_terms",
]

#: Visits that make ``family_contact`` (SPEC §4; ``concepts.analysis_variables.family_contact``):
#: partner, children or other family visited in the last month.
FAMILY_VISITS: tuple[str, ...] = ("visits_partner", "visits_children", "visits_family")

#: Registration controls used by default (terms of the formula; absent columns are skipped).
DEFAULT_CONTROLS: tuple[str, ...] = (
    "age",
    "C(sex)",
    "C(regime)",
    "prior_convictions",
    "weeks_detained",
)


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
    collapsed : dict
        Categorical control -> its levels merged into ``other`` because fewer people than the
        disclosure threshold have them in the sample (:func:`~reintegratie_stats.disclosure.collapse_small`).
    """

    data: pd.DataFrame
    n_input: int
    excluded: pd.DataFrame
    controls: tuple[str, ...] = field(default_factory=tuple)
    collapsed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_excluded(self) -> int:
        return int(self.excluded["n"].sum())


def _row_mean(block: pd.DataFrame) -> pd.Series:
    return block.astype(float).mean(axis=1, skipna=True).where(block.notna().any(axis=1))


def family_contact(df: pd.DataFrame) -> pd.Series:
    """1 if partner, children or other family visited in the last month, else 0.

    A routed-out visit question (no partner, no children) counts as no visit; missing only
    where every visit question is missing (or absent).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"visits_partner": [0, np.nan, np.nan, 2],
    ...                    "visits_children": [0, 1, np.nan, 0], "visits_family": [0, 0, np.nan, 0]})
    >>> family_contact(df).tolist()
    [0.0, 1.0, nan, 1.0]
    """
    cols = [c for c in FAMILY_VISITS if c in df.columns]
    if not cols:
        return pd.Series(float("nan"), index=df.index, name="family_contact")
    block = df[cols].astype(float)
    out = (block.fillna(0.0).sum(axis=1) > 0).astype(float)
    return out.where(block.notna().any(axis=1)).rename("family_contact")


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
    threshold: int | None = None,
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
    threshold : int, optional
        Levels of a categorical control (``C(regime)``) that fewer people than this have in
        the sample are merged into ``other`` (default the codebook's disclosure threshold;
        0 keeps every level), so that no coefficient describes a small group.

    Returns
    -------
    AnalysisFrame
        ``data`` has the added columns ``sat_internal``, ``sat_external``, ``instr_int_mean``,
        ``instr_ext_mean``, ``n_needs``, ``any_need``, ``prep_overall`` and the centred codings
        ``sat_int_c``, ``sat_ext_c``, ``instr_int_<d>_c``, ``instr_ext_<d>_c``,
        ``instr_int_mean_c``, ``instr_ext_mean_c``, ``family_contact`` (when a visit question
        is present; :func:`family_contact`) (see ``concepts.analysis_variables`` of the
        codebook); ``excluded`` counts ``not_soon_released`` and ``release_date_unknown``.

    Notes
    -----
    Two codings of support satisfaction, chosen in the formulas (``coding=``):

    * ``"listwise"``: the 1-5 items as they are; prisoners without contact/support drop out
      of a model that uses them (counted in the model's ``extra["excluded_by"]``).
    * ``"centred"``: item − 3, and 0 where the support was not received (or no professional of
      that side was met), so everyone stays in and the slope is the effect of more satisfying
      support relative to neutral/none (the coding of the synthetic twin's true model). A
      general-satisfaction item missing *despite* contact is still missing (nonresponse);
      ``instr_*`` items have no routing in the codebook, so every missing one counts as
      "not received".
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
    for name, short, cols, types in (
        ("sat_internal", "sat_int_c", sat_int, cb.internal_types),
        ("sat_external", "sat_ext_c", sat_ext, cb.external_types),
    ):
        if not cols:
            continue
        df[name] = _row_mean(df[cols])
        contact = [f"contact_{t}" for t in types if f"contact_{t}" in df.columns]
        no_contact = (df[contact] == 0).all(axis=1) if contact else pd.Series(False, index=df.index)
        df[short] = (df[name] - 3.0).mask(df[name].isna() & no_contact, 0.0)
    for side in ("int", "ext"):
        cols = [f"instr_{side}_{d}" for d in cb.domains if f"instr_{side}_{d}" in df.columns]
        for c in cols:
            df[f"{c}_c"] = (df[c].astype(float) - 3.0).fillna(0.0)
        if cols:
            df[f"instr_{side}_mean"] = _row_mean(df[cols])
            df[f"instr_{side}_mean_c"] = df[[f"{c}_c" for c in cols]].mean(axis=1)
    if any(c in df.columns for c in FAMILY_VISITS):
        df["family_contact"] = family_contact(df)
    classic = tuple(d for d in cb.domains if d != "social_network")
    if all(f"need_{d}" in df.columns for d in classic):
        df["n_needs"] = n_needs(df, cb)
        df["any_need"] = (df["n_needs"] >= 1).astype(float).where(df["n_needs"].notna())
    items = [c for c in prep_items(cb) if c in df.columns]
    if len(items) >= 2:
        df["prep_overall"] = preparedness_scale(df, items, min_items=min_prep_items)
    excluded = pd.DataFrame(reasons, columns=["reason", "n"])
    categorical = [t[2:-1] for t in controls if t.startswith("C(") and t.endswith(")")]
    small = collapse_small_categories(df, threshold, [c for c in categorical if c in df.columns])
    return AnalysisFrame(
        data=small.frame,
        n_input=len(prisoners),
        excluded=excluded,
        controls=_available_controls(small.frame, controls),
        collapsed=small.merged,
    )


def _rhs(parts: list[str], controls: Sequence[str]) -> str:
    return " + ".join(parts + list(controls))


Coding = Literal["centred", "listwise"]


def _names(coding: Coding) -> tuple[list[str], str]:
    if coding not in ("centred", "listwise"):
        raise ValueError(f"coding must be 'centred' or 'listwise', got {coding!r}")
    if coding == "centred":
        return ["sat_int_c", "sat_ext_c"], "_c"
    return ["sat_internal", "sat_external"], ""


def support_terms(domain: str, coding: Coding = "centred") -> tuple[str, str]:
    """Names of the (internal, external) support terms of a domain (``"mean"`` for overall)."""
    _, suf = _names(coding)
    return f"instr_int_{domain}{suf}", f"instr_ext_{domain}{suf}"


def domain_formula(
    domain: str,
    controls: Sequence[str] = (),
    *,
    coding: Coding = "centred",
    general: bool = True,
    interaction: bool = True,
    sides: Sequence[Literal["int", "ext"]] = ("int", "ext"),
    family: bool = True,
) -> str:
    """``prep_<d> ~ sat_int + sat_ext + (instr_int_<d> + instr_ext_<d>) * need_<d> + controls``.

    With ``coding="centred"`` the support terms are the ``*_c`` columns of
    :func:`analysis_frame`, with ``"listwise"`` the raw 1-5 items. The social-network model
    also has ``family_contact`` (SPEC §4: family contact is part of the social network; the
    twin's truth has it, 0.35): leaving it out biases that model's intercept. ``family=False``
    drops it (data without visit questions).

    Examples
    --------
    >>> domain_formula("housing", ["age"], coding="listwise")
    'prep_housing ~ sat_internal + sat_external + instr_int_housing + instr_ext_housing + need_housing + instr_int_housing:need_housing + instr_ext_housing:need_housing + age'
    >>> domain_formula("id", general=False, interaction=False)
    'prep_id ~ instr_int_id_c + instr_ext_id_c + need_id'
    >>> domain_formula("social_network", general=False, interaction=False)
    'prep_social_network ~ instr_int_social_network_c + instr_ext_social_network_c + need_social_network + family_contact'
    """
    sat, suf = _names(coding)
    sup = [f"instr_{s}_{domain}{suf}" for s in sides]
    parts = (sat if general else []) + sup + [f"need_{domain}"]
    if family and domain == "social_network":
        parts.append("family_contact")
    if interaction:
        parts += [f"{s}:need_{domain}" for s in sup]
    return f"prep_{domain} ~ " + _rhs(parts, controls)


def overall_formula(
    controls: Sequence[str] = (),
    *,
    coding: Coding = "centred",
    general: bool = True,
    interaction: bool = True,
) -> str:
    """``prep_overall ~ sat_int + sat_ext + (instr_int_mean + instr_ext_mean) * any_need + controls``."""
    sat, suf = _names(coding)
    sup = [f"instr_int_mean{suf}", f"instr_ext_mean{suf}"]
    parts = (sat if general else []) + sup + ["any_need"]
    if interaction:
        parts += [f"{s}:any_need" for s in sup]
    return "prep_overall ~ " + _rhs(parts, controls)
