"""Chapter-5 figures: predicted preparedness by support level × prior need.

Takes the tidy ``predicted`` table of :func:`reintegratie_stats.multivariate.chapter5` (or of
:func:`~reintegratie_stats.multivariate.predicted`); computes nothing itself. A
:class:`matplotlib.figure.Figure` (no pyplot, no backend chosen at import), texts in ``lang``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from ..labels import check_lang
from ..schema import load_codebook
from .common import figure_text

__all__ = ["interaction_plot"]


def interaction_plot(
    predicted: pd.DataFrame,
    outcomes: Sequence[str] | None = None,
    *,
    lang: str = "en",
    ci: bool = True,
) -> Figure:
    """Predicted preparedness against support satisfaction, one line per prior-need group.

    Parameters
    ----------
    predicted : pandas.DataFrame
        Tidy margins with columns ``outcome``, ``side`` (``internal``/``external``),
        ``support_level`` (or ``x_value``), ``by_value`` (0/1 prior need), ``estimate``,
        ``ci_low``, ``ci_high``.
    outcomes : sequence of str, optional
        Outcomes to draw, one row of panels each (default: all in ``predicted``).
    lang : {"en", "nl"}
    ci : bool
        Draw the confidence band.

    Returns
    -------
    matplotlib.figure.Figure
        Rows = outcomes, columns = internal / external support.
    """
    need = {"outcome", "side", "by_value", "estimate", "ci_low", "ci_high"}
    missing = need - set(predicted.columns)
    if missing:
        raise ValueError(f"predicted table lacks column(s) {sorted(missing)}")
    check_lang(lang)
    xcol = "support_level" if "support_level" in predicted.columns else "x_value"
    outs = list(outcomes) if outcomes is not None else list(dict.fromkeys(predicted["outcome"]))
    if not outs:
        raise ValueError("nothing to plot: no outcomes")
    sides = [s for s in ("internal", "external") if s in set(predicted["side"])]
    cb = load_codebook()
    fig = Figure(figsize=(4.2 * len(sides), 2.8 * len(outs)))
    axes = fig.subplots(len(outs), len(sides), squeeze=False, sharey=True)
    xlab, ylab = figure_text("support_axis", lang), figure_text("predicted_axis", lang)
    overall = figure_text("overall", lang)
    need_label = {0.0: figure_text("no_need", lang), 1.0: figure_text("need", lang)}
    for i, outcome in enumerate(outs):
        dom = outcome.removeprefix("prep_")
        title = cb.concept_label("domains", dom, lang) if dom in cb.domains else overall  # type: ignore[arg-type]
        for j, side in enumerate(sides):
            ax = axes[i][j]
            sub = predicted[(predicted["outcome"] == outcome) & (predicted["side"] == side)]
            for lv, grp in sub.groupby("by_value", sort=True):
                grp = grp.sort_values(xcol)
                label = need_label.get(float(lv), str(lv))
                (line,) = ax.plot(grp[xcol], grp["estimate"], marker="o", label=label)
                if ci:
                    ax.fill_between(
                        grp[xcol],
                        grp["ci_low"],
                        grp["ci_high"],
                        alpha=0.2,
                        color=line.get_color(),
                        linewidth=0,
                    )
            ax.set_title(f"{title}: {figure_text(f'side_{side}', lang)}", fontsize=9)
            ax.grid(alpha=0.3)
            if i == len(outs) - 1:
                ax.set_xlabel(xlab, fontsize=8)
            if j == 0:
                ax.set_ylabel(ylab, fontsize=8)
    axes[0][0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
