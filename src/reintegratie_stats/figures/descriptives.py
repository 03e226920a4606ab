"""Figures of chapter 2 and of the family-contact rates (each function returns a Figure).

The functions draw tidy results from :mod:`~reintegratie_stats.descriptives`; they never
compute statistics. Disclosure control applies to figures as to tables: an estimate whose row
has a count below the threshold is left out (and the number left out is written under the
plot; :mod:`.common`). Figures are built with :class:`matplotlib.figure.Figure` (no pyplot
state, no ``show``, no backend chosen here).

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

from ..labels import column_label, value_label
from ..schema import Codebook, load_codebook
from .common import add_suppressed_note, figure_text, visible_estimates

__all__ = ["contact_rates_figure", "family_contact_figure"]

Lang = Literal["en", "nl"]


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
    vis, k = visible_estimates(df, threshold)
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
    add_suppressed_note(fig, k, threshold, lang)
    return fig


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
    return _dot_plot(rates, "type", series, lang, threshold, figure_text("share", lang), cb, title)


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
        rates, "variable", series, lang, threshold, figure_text("family_share", lang), cb, title
    )
