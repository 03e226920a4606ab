"""Figure of chapter 3: the odds-ratio forest plot of prior needs versus contact.

Draws :func:`reintegratie_stats.bivariate.needs_vs_contact`; computes nothing. Points of
groups below the disclosure threshold are left out and counted under the plot (:mod:`.common`).

Examples
--------
>>> import pandas as pd
>>> res = pd.DataFrame({"need": ["housing"], "type": ["municipality"], "n": [300],
...                     "odds_ratio": [1.8], "ci_low": [1.2], "ci_high": [2.7], "matched": [True]})
>>> len(forest_plot(res, "nl").axes)
1
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..labels import value_label
from ..schema import Codebook, load_codebook
from .common import add_suppressed_note, figure_text, visible_estimates

__all__ = ["forest_plot"]

Lang = Literal["en", "nl"]


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
    vis, k = visible_estimates(result, threshold)
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
        (matched, "C0", figure_text("matched", lang)),
        (~matched, "white", figure_text("other", lang)),
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
    ax.set_xlabel(figure_text("or_log", lang))
    if matched.any():
        ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    add_suppressed_note(fig, k, threshold, lang)
    return fig
