"""Figures for chapters 2-3 and the family extension (matplotlib; each function returns a Figure).

The functions draw tidy results from :mod:`~reintegratie_stats.descriptives` and
:mod:`~reintegratie_stats.bivariate`; they never compute statistics. Disclosure control applies
to figures as to tables: an estimate whose row has a count below the threshold is left out
(and the number left out is written under the plot). Figures are built with
:class:`matplotlib.figure.Figure` (no pyplot state, no ``show``), so they work under Agg.

Examples
--------
>>> import pandas as pd
>>> res = pd.DataFrame({"regime": ["HvB", "HvB"], "type": ["mentor", "care"], "n": [200, 150],
...                     "n_contact": [90, 30], "rate": [0.45, 0.2], "ci_low": [0.38, 0.14],
...                     "ci_high": [0.52, 0.27]})
>>> fig = contact_rates_figure(res)
>>> len(fig.axes)
1
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..reporting.disclosure import suppression_mask
from ..reporting.tables import column_label, value_label
from ..schema import Codebook, load_codebook
from . import never_fails

__all__ = ["contact_rates_figure", "family_contact_figure", "forest_plot"]

Lang = Literal["en", "nl"]

_TEXT = {
    "share": {"en": "Share with contact (95% CI)", "nl": "Aandeel met contact (95%-BI)"},
    "family_share": {
        "en": "Share with at least one (95% CI)",
        "nl": "Aandeel met minstens een (95%-BI)",
    },
    "or": {"en": "Odds ratio (95% CI, log scale)", "nl": "Odds ratio (95%-BI, logschaal)"},
    "suppressed": {
        "en": "{k} estimate(s) based on fewer than {t} respondents not shown",
        "nl": "{k} schatting(en) met minder dan {t} respondenten niet getoond",
    },
    "matched": {"en": "matched need", "nl": "passend probleem"},
    "other": {"en": "other", "nl": "overig"},
}


def _visible(df: pd.DataFrame, threshold: int | None) -> tuple[pd.DataFrame, int]:
    """Rows whose statistics survive disclosure control, and how many were dropped."""
    cb = load_codebook()
    thr = cb.disclosure_threshold if threshold is None else threshold
    _, stat = suppression_mask(df, threshold=thr)
    cols = [c for c in ("rate", "odds_ratio", "ci_low", "ci_high") if c in df.columns]
    hidden = stat[cols].any(axis=1) if cols else pd.Series(False, index=df.index)
    return df.loc[~hidden], int(hidden.sum())


def _note(fig: Figure, k: int, threshold: int | None, lang: Lang) -> None:
    if k:
        thr = load_codebook().disclosure_threshold if threshold is None else threshold
        fig.text(
            0.01,
            0.005,
            _TEXT["suppressed"][lang].format(k=k, t=thr),
            fontsize=7,
            ha="left",
            va="bottom",
        )


def _dot_plot(
    df: pd.DataFrame,
    category: str,
    series: str | None,
    lang: Lang,
    threshold: int | None,
    xlabel: str,
    cb: Codebook,
    title: str | None,
) -> Figure:
    for c in (category, "rate", "ci_low", "ci_high"):
        if c not in df.columns:
            raise ValueError(f"the result frame has no column {c!r}")
    cats = list(dict.fromkeys(df[category].tolist()))
    sers: list[Any] = list(dict.fromkeys(df[series].tolist())) if series else [None]
    vis, k = _visible(df, threshold)
    n_series = max(1, len(sers))
    fig = Figure(figsize=(9.0 if series else 7.5, min(1.5 + 0.13 * len(cats) * n_series, 12.0)))
    ax = fig.add_subplot(1, 1, 1)
    step = 0.8 / max(1, len(sers))
    for j, s in enumerate(sers):
        sub = vis if s is None else vis.loc[vis[series] == s]
        pos = {c: i for i, c in enumerate(cats)}
        y = np.array([pos[c] for c in sub[category]], dtype=float) - 0.4 + step * (j + 0.5)
        rate = sub["rate"].to_numpy(dtype=float)
        err = np.vstack(
            [
                rate - sub["ci_low"].to_numpy(dtype=float),
                sub["ci_high"].to_numpy(dtype=float) - rate,
            ]
        )
        lab = None if s is None else str(value_label(series, s, lang, cb))
        # rounding can put a bound a hair inside its estimate; an error bar cannot be negative
        ax.errorbar(rate, y, xerr=np.clip(err, 0, None), fmt="o", ms=4, capsize=2, label=lab)
    ax.set_yticks(range(len(cats)))
    ax.set_yticklabels([str(value_label(category, c, lang, cb)) for c in cats])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    if series:
        ax.legend(
            title=column_label(series, lang, cb),
            fontsize=7,
            title_fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
        )
    if title:
        ax.set_title(title)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _note(fig, k, threshold, lang)
    return fig


@never_fails
def contact_rates_figure(
    rates: pd.DataFrame,
    lang: Lang = "en",
    *,
    series: str | None = "regime",
    threshold: int | None = None,
    title: str | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Contact rates with intervals per professional type, one series per regime (or ``series``).

    ``rates`` is the result of ``descriptives.contact_rates(df, by="regime")`` (or any ``by``
    named in ``series``; ``series=None`` for an ungrouped result).
    """
    cb = codebook or load_codebook()
    if series is not None and series not in rates.columns:
        raise ValueError(f"series column {series!r} not in the result frame")
    return _dot_plot(rates, "type", series, lang, threshold, _TEXT["share"][lang], cb, title)


@never_fails
def family_contact_figure(
    rates: pd.DataFrame,
    lang: Lang = "en",
    *,
    series: str | None = "regime",
    threshold: int | None = None,
    title: str | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Family-contact rates (share with at least one) per measure, one series per regime.

    ``rates`` is the result of ``descriptives.family_contact_rates(df, by="regime")``.
    """
    cb = codebook or load_codebook()
    if series is not None and series not in rates.columns:
        raise ValueError(f"series column {series!r} not in the result frame")
    return _dot_plot(
        rates, "variable", series, lang, threshold, _TEXT["family_share"][lang], cb, title
    )


@never_fails
def forest_plot(
    result: pd.DataFrame,
    lang: Lang = "en",
    *,
    threshold: int | None = None,
    title: str | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Odds-ratio forest plot of ``bivariate.needs_vs_contact`` (need -> contact per type).

    Rows are grouped by professional type; matched needs (codebook ``matched_needs``) are drawn
    filled, others open. The axis is logarithmic with a reference line at 1.
    """
    cb = codebook or load_codebook()
    for c in ("need", "type", "odds_ratio", "ci_low", "ci_high"):
        if c not in result.columns:
            raise ValueError(f"the result frame has no column {c!r}")
    vis, k = _visible(result, threshold)
    vis = vis.loc[
        np.isfinite(vis["odds_ratio"].astype(float)) & (vis["odds_ratio"].astype(float) > 0)
    ]
    t_rank = {t: i for i, t in enumerate(cb.professional_types)}
    d_rank = {d: i for i, d in enumerate(cb.domains)}
    vis = vis.iloc[
        np.lexsort(
            (
                vis["need"].map(d_rank).fillna(99).to_numpy(),
                vis["type"].map(t_rank).fillna(99).to_numpy(),
            )
        )
    ]
    fig = Figure(figsize=(7.5, 0.22 * max(len(vis), 1) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    labels = [
        f"{value_label('type', t, lang, cb)}: {value_label('need', n, lang, cb)}"
        for t, n in zip(vis["type"], vis["need"], strict=True)
    ]
    y = np.arange(len(vis))
    orr = vis["odds_ratio"].to_numpy(dtype=float)
    err = np.vstack(
        [orr - vis["ci_low"].to_numpy(dtype=float), vis["ci_high"].to_numpy(dtype=float) - orr]
    )
    matched = (
        vis["matched"].to_numpy(dtype=bool) if "matched" in vis else np.zeros(len(vis), dtype=bool)
    )
    for mask, face, lab in (
        (matched, "C0", _TEXT["matched"][lang]),
        (~matched, "white", _TEXT["other"][lang]),
    ):
        if mask.any():
            ax.errorbar(
                orr[mask],
                y[mask],
                xerr=np.clip(err[:, mask], 0, None),
                fmt="o",
                ms=4,
                capsize=2,
                color="C0",
                markerfacecolor=face,
                label=lab,
            )
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=6)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(_TEXT["or"][lang])
    if matched.any():
        ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _note(fig, k, threshold, lang)
    return fig
