"""Family contact → preparedness (SPEC §4): social-network and overall preparedness on visits by
partner and children, video calls, parent-child days and the family-approach shell, for all
prisoners and for those with minor children, with cluster-robust OLS.

Routed questions are not missing at random: ``visits_partner`` is asked only with a partner,
``visits_children`` and ``parent_child_day`` only with children (codebook ``asked_if``). Where
the routing condition is known to be false the prisoner had no such contact, so these cells are
set to 0 (and counted, ``n_routed_zero``) instead of dropping everyone without a partner/child.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from ..disclosure import collapse_small_categories
from ..schema import Codebook, load_codebook
from ..statistics.complete_cases import row_account
from .ols import ols
from .predictors import analysis_frame

__all__ = ["DEFAULT_FAMILY_MEASURES", "family_frame", "family_models"]

#: The measures of issue 7 (a subset of ``concepts.family_contact``, in codebook order).
DEFAULT_FAMILY_MEASURES: tuple[str, ...] = (
    "visits_partner",
    "visits_children",
    "video_calls_month",
    "parent_child_day",
    "family_approach_shell",
)


def family_frame(
    prisoners: pd.DataFrame,
    measures: Sequence[str] = DEFAULT_FAMILY_MEASURES,
    codebook: Codebook | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A copy with routed-out family measures set to 0, and a boolean frame of the cells set."""
    cb = codebook or load_codebook()
    out = prisoners.copy()
    zeros = pd.DataFrame(index=out.index)
    for m in measures:
        if m not in cb.family_contact:
            raise ValueError(f"{m!r} is not a family-contact measure of the codebook")
        if m not in out.columns:
            continue
        cond = cb["prisoners"][m].asked_if
        if cond is None or cond[0] not in out.columns:
            continue
        var, val = cond
        routed_out = out[var].astype(float).ne(float(val)) & out[var].notna() & out[m].isna()
        zeros[m] = routed_out
        out[m] = out[m].astype(float).mask(routed_out, 0.0)
    return out, zeros


def family_models(
    prisoners: pd.DataFrame,
    *,
    outcomes: Sequence[str] = ("prep_social_network", "prep_overall"),
    measures: Sequence[str] = DEFAULT_FAMILY_MEASURES,
    controls: Sequence[str] | None = None,
    cluster: str | None = "institution_id",
    soon_released_only: bool = False,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Cluster-robust OLS of preparedness on family contact, for all prisoners and parents.

    Parameters
    ----------
    prisoners : pandas.DataFrame
        Canonical prisoners frame (not modified).
    outcomes : sequence of str
        Preparedness outcomes (``prep_overall`` is derived by :func:`analysis_frame`).
    measures : sequence of str
        Family-contact measures (absent columns are skipped with a warning).
    controls : sequence of str, optional
        Control terms (default: those of :func:`analysis_frame`).
    soon_released_only : bool
        Restrict to soon-to-be-released prisoners (default: all prisoners).

    Returns
    -------
    pandas.DataFrame
        One row per group × outcome × term: ``group`` (``"all"``, ``"with_children"``),
        ``outcome``, ``term``, ``estimate``, ``std_error``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high``, ``n`` (rows used), ``n_excluded`` (rows of the group dropped
        listwise), ``n_clusters``, ``cov_type``, ``n_routed_zero`` (rows used whose measure was
        routed out and set to 0). ``attrs["accounting"]``: per model, the (reason, n) pairs
        from ``input_rows`` (the prisoners passed in) via the rows outside the group and the
        listwise exclusions by variable to ``used``
        (:func:`~reintegratie_stats.statistics.complete_cases.row_account`).
    """
    cb = codebook or load_codebook()
    af = analysis_frame(prisoners, soon_released_only=soon_released_only, codebook=cb)
    present = [m for m in measures if m in af.data.columns]
    absent = [m for m in measures if m not in af.data.columns]
    if absent:
        warnings.warn(
            f"family measures not in the data, skipped: {absent}", UserWarning, stacklevel=2
        )
    if not present:
        raise ValueError(f"none of the family measures {list(measures)} is in the data")
    data, zeros = family_frame(af.data, present, cb)
    ctrl = list(af.controls if controls is None else controls)
    rows, accounting = [], []
    before = [
        ("input_rows", af.n_input),
        *((str(r), int(n)) for r, n in zip(af.excluded["reason"], af.excluded["n"], strict=True)),
    ]
    groups = [("all", data, before)]
    if "has_children" in data.columns:
        hc = data["has_children"]
        outside = [
            ("missing has_children", int(hc.isna().sum())),
            ("no minor children (has_children != 1)", int((hc.notna() & (hc != 1)).sum())),
        ]
        cats = [t[2:-1] for t in ctrl if t.startswith("C(") and t.endswith(")")]
        parents = collapse_small_categories(data.loc[hc == 1], None, cats).frame
        groups.append(("with_children", parents, before + [o for o in outside if o[1]]))
    for group, sub, start in groups:
        # within parents the children-routed measures vary; among all they carry the zeros
        for outcome in outcomes:
            if outcome not in sub.columns:
                raise ValueError(f"outcome {outcome!r} not in the data")
            usable = [m for m in present if sub[m].notna().any() and sub[m].nunique() > 1]
            formula = f"{outcome} ~ " + " + ".join(usable + ctrl)
            r = ols(formula, sub, cluster=cluster)
            tab = r.to_frame()
            tab.insert(0, "outcome", outcome)
            tab.insert(0, "group", group)
            tab["n"] = r.nobs
            tab["n_excluded"] = r.extra["n_excluded"]
            tab["n_clusters"] = r.extra["n_clusters"]
            tab["cov_type"] = r.cov_type
            set0 = zeros.loc[r.frame.index]
            tab["n_routed_zero"] = [int(set0[t].sum()) if t in set0 else 0 for t in tab["term"]]
            rows.append(tab)
            excl = list(r.extra.get("excluded_by", {}))
            accounting.append(
                {
                    "outcome": outcome,
                    "model": f"ols_cluster ({group})",
                    "reasons": row_account(start, sub, excl, r.nobs),
                }
            )
    out = pd.concat(rows, ignore_index=True)
    out.attrs["accounting"] = accounting
    return out
