"""What the figures of every chapter share: disclosure control of plotted points and texts.

An estimate whose row has a count below the threshold is left out of a figure, and the number
left out is written under the plot, as in the tables (:mod:`reintegratie_stats.disclosure`).
Texts come from the ``figures`` section of ``report_texts_<lang>.yaml``.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"n": [200, 4], "rate": [0.4, 0.5], "ci_low": [0.3, 0.1], "ci_high": [0.5, 0.9]})
>>> vis, k = visible_estimates(df, 10)
>>> len(vis), k
(1, 1)
>>> figure_text("matched", "nl")
'passend probleem'
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..disclosure import resolve_threshold, suppression_mask
from ..labels import check_lang, text

__all__ = ["add_suppressed_note", "figure_text", "visible_estimates"]

#: Columns of a plotted estimate; a point is left out when any of them is suppressed.
_PLOTTED = ("rate", "odds_ratio", "ci_low", "ci_high")


def figure_text(key: str, lang: str, **fields: object) -> str:
    """The figure text ``key`` in ``lang`` (``report_texts_<lang>.yaml``, section ``figures``)."""
    check_lang(lang)
    return text("figures", key, lang, **fields)


def visible_estimates(df: pd.DataFrame, threshold: int | None) -> tuple[pd.DataFrame, int]:
    """Rows whose plotted statistics survive disclosure control, and how many were dropped."""
    _, stat = suppression_mask(df, threshold=resolve_threshold(threshold))
    cols = [c for c in _PLOTTED if c in df.columns]
    hidden = stat[cols].any(axis=1) if cols else pd.Series(False, index=df.index)
    return df.loc[~hidden], int(hidden.sum())


def add_suppressed_note(fig: Figure, k: int, threshold: int | None, lang: str) -> None:
    """Write "k estimate(s) ... not shown" under the plot when ``k`` points were left out."""
    if k:
        fig.text(
            0.01,
            0.005,
            figure_text("suppressed", lang, k=k, t=resolve_threshold(threshold)),
            fontsize=7,
            ha="left",
            va="bottom",
        )
