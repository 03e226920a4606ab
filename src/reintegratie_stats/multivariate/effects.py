"""Effects people read: predictive margins and average marginal effects, with delta-method CIs.

Both work on any :class:`~._base.FormulaResults` (OLS, mixed) by rebuilding the fixed-effects
model matrix for counterfactual copies of the estimation sample with the fit's patsy coding.
For a linear predictor ŷ = Xβ every quantity here is a linear combination g'β, so the
delta-method variance g'Vg is exact (V: the result's covariance, e.g. cluster-robust).

Work done once per call (:func:`_mean_rows`): the model matrix of the estimation sample is built
once, and only the terms that use the changed variable are rebuilt, for all counterfactual
copies stacked in one patsy evaluation. A call used to rebuild the whole design once per copy
(10 times for a predicted 5 x 2 grid), which made the margins most of chapter 5's time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import patsy

from ..results import ModelResults
from ._base import FormulaResults
from ._design import to_patsy_frame

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")

__all__ = ["lincom", "marginal_effects", "predicted", "standardized_coefficients"]


def _crit(result: ModelResults, alpha: float) -> float:
    return float(result.reference_distribution().ppf(1 - alpha / 2))


def _row(result: ModelResults, g: np.ndarray, alpha: float) -> dict[str, float]:
    b = result.params.to_numpy()
    V = result.cov.to_numpy()
    est = float(g @ b)
    se = float(np.sqrt(g @ V @ g))
    q = _crit(result, alpha)
    z = est / se if se > 0 else np.nan
    p = float(2 * result.reference_distribution().sf(abs(z))) if se > 0 else np.nan
    return {
        "estimate": est,
        "std_error": se,
        "statistic": z,
        "p_value": p,
        "ci_low": est - q * se,
        "ci_high": est + q * se,
    }


def _check(result: ModelResults, *cols: str) -> pd.DataFrame:
    if not isinstance(result, FormulaResults) or result.frame is None or result.design_info is None:
        raise TypeError("effects need a formula result (ols() or mixed()) that keeps its design")
    for c in cols:
        if c not in result.frame.columns:
            raise ValueError(f"{c!r} is not a variable of the model {result.formula!r}")
    return result.frame


def _mean_rows(
    result: FormulaResults, frames: Sequence[pd.DataFrame], changed: Sequence[str]
) -> np.ndarray:
    """Mean model-matrix row of each counterfactual frame (one row each).

    Every frame holds rows of the estimation sample (same index) with only the columns in
    ``changed`` altered. So the model matrix of the sample is built once, and only the terms
    that use a changed column are rebuilt, for all frames stacked in one patsy evaluation
    (categorical terms, the slow ones in patsy, are never rebuilt). Padded with zeros to the
    length of ``params``: fixed effects come first in every result here, other parameters
    (variance components) do not enter the linear predictor.
    """
    base = result.frame
    di = result.design_info
    X0 = result.model_matrix(base).to_numpy()
    moving = [
        t for t in di.terms if any(set(_IDENT.findall(f.code)) & set(changed) for f in t.factors)
    ]
    cols = np.array([], dtype=int)
    Xs = None
    if moving:
        sub = di.subset(moving)
        cols = np.array([di.column_names.index(c) for c in sub.column_names], dtype=int)
        stacked = pd.concat([f[base.columns] for f in frames], ignore_index=True)
        Xs = patsy.dmatrix(sub, to_patsy_frame(stacked), return_type="matrix")
        Xs = np.asarray(Xs)
    out = np.zeros((len(frames), len(result.params)))
    start = 0
    for i, f in enumerate(frames):
        X = X0[base.index.get_indexer(f.index)]  # a C-ordered copy: same sums as a fresh build
        if Xs is not None:
            X[:, cols] = Xs[start : start + len(f)]
        out[i, : X.shape[1]] = X.mean(axis=0)
        start += len(f)
    return out


def lincom(result: ModelResults, weights: Mapping[str, float], alpha: float = 0.05) -> pd.DataFrame:
    """A linear combination Σ w_j β_j with its SE and CI (e.g. external − internal support).

    Returns
    -------
    pandas.DataFrame
        One row: ``contrast``, ``estimate``, ``std_error``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high``.
    """
    unknown = [k for k in weights if k not in result.params.index]
    if unknown:
        raise ValueError(f"term(s) not in the model: {unknown}")
    g = result.params.index.to_series().map(lambda t: float(weights.get(t, 0.0))).to_numpy()
    label = " ".join(f"{w:+g}*{t}" for t, w in weights.items())
    return pd.DataFrame([{"contrast": label, **_row(result, g, alpha)}])


def predicted(
    result: FormulaResults,
    x: str,
    by: str | None = None,
    *,
    at: Sequence[float] | None = None,
    by_levels: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Predictive margins: mean prediction with ``x`` (and ``by``) set for every sampled person.

    Parameters
    ----------
    result : FormulaResults
        From :func:`ols` or :func:`mixed` (fixed part).
    x : str
        The support variable; ``at`` its values (default 1..5 if it is a 1-5 item, else the
        10th/50th/90th percentiles).
    by : str, optional
        Moderator (e.g. ``need_housing``), set to each of ``by_levels`` (default its observed values).

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``x_value``, ``by``, ``by_value``, ``estimate``, ``std_error``,
        ``statistic``, ``p_value``, ``ci_low``, ``ci_high``, ``n``.
    """
    frame = _check(result, x, *([by] if by else []))
    if at is None:
        vals = frame[x].dropna()
        at = (
            [1.0, 2.0, 3.0, 4.0, 5.0]
            if vals.between(1, 5).all() and vals.nunique() > 2
            else list(np.quantile(vals, [0.1, 0.5, 0.9]))
        )
    levels = [None] if by is None else (by_levels or sorted(frame[by].dropna().unique()))
    grid = [(lv, float(v)) for lv in levels for v in at]
    copies = [
        frame.assign(**{x: v}) if by is None else frame.assign(**{x: v, by: float(lv)})
        for lv, v in grid
    ]
    grads = _mean_rows(result, copies, [x] if by is None else [x, by])
    rows = [
        {
            "x": x,
            "x_value": v,
            "by": by or "none",
            "by_value": lv,
            **_row(result, g, alpha),
            "n": len(frame),
        }
        for (lv, v), g in zip(grid, grads, strict=True)
    ]
    return pd.DataFrame(rows)


def marginal_effects(
    result: FormulaResults,
    x: str,
    by: str | None = None,
    *,
    alpha: float = 0.05,
    h: float = 1.0,
) -> pd.DataFrame:
    """Average marginal effect of ``x``, overall or per level of ``by``, with a contrast row.

    The AME within a group is the mean over its members of [ŷ(x + h) − ŷ(x)] / h (exact for
    models linear in ``x``, which includes interactions). With ``by`` the last row,
    ``group = "difference"``, is the AME at the highest minus the lowest level (for a 0/1
    prior need: the support × need interaction on the effect scale).

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``by`` (``"none"`` without), ``group`` (level of ``by``, ``"all"`` or
        ``"difference"``),
        ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``ci_low``, ``ci_high``, ``n``.
    """
    frame = _check(result, x, *([by] if by else []))
    groups: list[tuple[object, pd.DataFrame]]
    if by is None:
        groups = [("all", frame)]
    else:
        groups = [(lv, frame.loc[frame[by] == lv]) for lv in sorted(frame[by].dropna().unique())]
    # per group: the copy with x shifted by h, then the group as observed; one patsy call
    means = _mean_rows(
        result, [f for _, sub in groups for f in (sub.assign(**{x: sub[x] + h}), sub)], [x]
    )
    rows, grads = [], []
    for i, (lv, sub) in enumerate(groups):
        g = (means[2 * i] - means[2 * i + 1]) / h
        grads.append(g)
        rows.append(
            {"x": x, "by": by or "none", "group": lv, **_row(result, g, alpha), "n": len(sub)}
        )
    if by is not None and len(groups) >= 2:
        rows.append(
            {
                "x": x,
                "by": by,
                "group": "difference",
                **_row(result, grads[-1] - grads[0], alpha),
                "n": len(frame),
            }
        )
    return pd.DataFrame(rows)


def standardized_coefficients(result: FormulaResults) -> pd.DataFrame:
    """Coefficients scaled by sd(term column) / sd(response) on the estimation sample.

    Returns
    -------
    pandas.DataFrame
        :meth:`~reintegratie_stats.results.ModelResults.to_frame` plus ``sd_x``, ``sd_y``,
        ``beta_std``, ``ci_low_std``, ``ci_high_std`` (``Intercept``: NaN).
    """
    frame = _check(result)
    X = result.model_matrix(frame)
    sd_y = float(frame[result.endog_name].std(ddof=1))
    tab = result.to_frame()
    fixed = tab[tab["term"].isin(X.columns)].copy()
    sd_x = X.std(ddof=1).reindex(fixed["term"]).to_numpy()
    sd_x = np.where(sd_x > 0, sd_x, np.nan)
    fixed["sd_x"] = sd_x
    fixed["sd_y"] = sd_y
    for src, dst in (
        ("estimate", "beta_std"),
        ("ci_low", "ci_low_std"),
        ("ci_high", "ci_high_std"),
    ):
        fixed[dst] = fixed[src].to_numpy() * sd_x / sd_y
    return fixed.reset_index(drop=True)
