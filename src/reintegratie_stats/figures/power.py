"""Power curves: simulated power with its Monte Carlo interval, by effect size or by design size.

Built as a :class:`matplotlib.figure.Figure` (no pyplot, no backend chosen at import); axis
titles and legend texts in ``lang`` from ``report_texts_<lang>.yaml`` (section ``figures``).

Examples
--------
>>> import pandas as pd
>>> tab = pd.DataFrame({"design": "26 institutions", "n_institutions": 26,
...                     "value": [1.0, 1.2, 1.4], "power": [0.05, 0.5, 0.9],
...                     "ci_low": [0.03, 0.45, 0.87], "ci_high": [0.07, 0.55, 0.93],
...                     "alpha": 0.05, "parameter": "family_room_visit_ratio",
...                     "unit": "rate ratio"})
>>> fig = power_curve(tab, target=0.8)
>>> len(fig.axes[0].lines) >= 3
True
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .common import figure_text

__all__ = ["power_curve"]


def power_curve(
    table: pd.DataFrame,
    x: Literal["value", "n_institutions"] = "value",
    target: float | None = 0.8,
    lang: Literal["en", "nl"] = "en",
    title: str | None = None,
    ax: Any = None,
) -> Figure:
    """Power against the effect value (one line per design) or against the institutions.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`reintegratie_stats.power.PowerResult.table` (``design``, ``value``, ``power``,
        ``ci_low``, ``ci_high``, ``alpha``; ``unit`` labels the effect axis).
    x : {"value", "n_institutions"}
        The horizontal axis; the lines are the designs (``x="value"``) or the effect values.
    target : float, optional
        Draw the target power as a dashed line.
    lang : {"en", "nl"}
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    need = {"design", "value", "power", "ci_low", "ci_high"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise ValueError(f"power_curve needs a power table with columns {sorted(need)}")
    if x not in ("value", "n_institutions"):
        raise ValueError(f"x must be 'value' or 'n_institutions', got {x!r}")
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    line_key = "design" if x == "value" else "value"
    for name, g in table.groupby(line_key, sort=False):
        g = g.sort_values(x)
        xs = g[x].to_numpy(dtype=float)
        p = g["power"].to_numpy(dtype=float)
        err = np.vstack([p - g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float) - p])
        label = str(name) if x == "value" else f"{g['parameter'].iloc[0]} = {name:g}"
        ax.errorbar(xs, p, yerr=err, marker="o", capsize=3, label=label)
    alpha = float(table["alpha"].iloc[0]) if "alpha" in table.columns else 0.05
    ax.axhline(
        alpha, color="grey", lw=0.8, ls=":", label=figure_text("power_nominal", lang, alpha=alpha)
    )
    if target is not None:
        ax.axhline(
            target,
            color="black",
            lw=0.8,
            ls="--",
            label=figure_text("power_target", lang, target=target),
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel(figure_text("power_axis", lang, alpha=alpha))
    if x == "value":
        unit = str(table["unit"].iloc[0]) if "unit" in table.columns else ""
        par = str(table["parameter"].iloc[0]) if "parameter" in table.columns else "effect"
        ax.set_xlabel(f"{par}\n({unit})" if unit else par, fontsize=9)
    else:
        ax.set_xlabel(figure_text("institutions_axis", lang))
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
