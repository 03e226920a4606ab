"""Figures of chapter 4: caterpillar plot of institution effects, odds-ratio forest plot.

Built as :class:`matplotlib.figure.Figure` objects (no pyplot, no backend chosen at import);
axis titles in ``lang`` from ``report_texts_<lang>.yaml``.

Examples
--------
>>> import pandas as pd
>>> re = pd.DataFrame({"level": ["PI01", "PI02"], "estimate": [-0.2, 0.3],
...                    "ci_low": [-0.6, -0.1], "ci_high": [0.2, 0.7]})
>>> fig = caterpillar(re)
>>> len(fig.axes)
1
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..labels import check_lang
from ..publication.terms import term_label
from .common import figure_text

__all__ = ["caterpillar", "odds_ratio_forest"]


def caterpillar(
    result_or_ranef: Any,
    title: str | None = None,
    odds_ratio: bool = False,
    ax: Any = None,
    *,
    lang: str = "en",
) -> Figure:
    """Institution effects (conditional modes) with 95% intervals, sorted.

    Parameters
    ----------
    result_or_ranef : GLMMResult or pandas.DataFrame
        A fitted model (its ``ranef``) or a frame with ``level``, ``estimate``, ``ci_low``,
        ``ci_high``.
    title : str, optional
    odds_ratio : bool
        Plot ``exp`` of the effects on a log axis.
    ax : matplotlib Axes, optional
    lang : {"en", "nl"}
        Language of the axis texts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    re = getattr(result_or_ranef, "ranef", result_or_ranef)
    need = {"level", "estimate", "ci_low", "ci_high"}
    if not isinstance(re, pd.DataFrame) or not need <= set(re.columns):
        raise ValueError(f"caterpillar needs a GLMMResult or a frame with columns {sorted(need)}")
    re = re.sort_values("estimate").reset_index(drop=True)
    f = np.exp if odds_ratio else (lambda v: v)
    if ax is None:
        fig = Figure(figsize=(6, 0.22 * len(re) + 1.2))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    y = np.arange(len(re))
    est = f(re["estimate"].to_numpy())
    lo, hi = f(re["ci_low"].to_numpy()), f(re["ci_high"].to_numpy())
    ax.errorbar(
        est,
        y,
        xerr=np.clip([est - lo, hi - est], 0, None),
        fmt="o",
        ms=3,
        color="0.2",
        ecolor="0.6",
    )
    ax.axvline(1.0 if odds_ratio else 0.0, color="firebrick", lw=0.8, ls="--")
    ax.set_yticks(y, re["level"].astype(str).tolist(), fontsize=7)
    if odds_ratio:
        ax.set_xscale("log")
    ax.set_xlabel(figure_text("effect_or" if odds_ratio else "effect_logodds", lang))
    ax.set_title(title or figure_text("effects_title", lang))
    fig.tight_layout()
    return fig


def odds_ratio_forest(
    estimates: Any,
    title: str | None = None,
    exclude: tuple[str, ...] = ("Intercept",),
    group: str | None = None,
    ax: Any = None,
    *,
    lang: str = "en",
) -> Figure:
    """Odds ratios with 95% intervals on a log axis.

    Parameters
    ----------
    estimates : ModelResults or pandas.DataFrame
        A fitted model, or a tidy frame with ``term``, ``estimate``, ``ci_low``, ``ci_high``
        (log-odds) and optionally a grouping column (e.g. ``outcome`` from
        :class:`~reintegratie_stats.multilevel.facilitation.ModelSet.estimates`).
    title : str, optional
    exclude : tuple of str
        Terms not drawn.
    group : str, optional
        Column whose values label row blocks (e.g. ``"outcome"``).
    ax : matplotlib Axes, optional
    lang : {"en", "nl"}
        Language of the axis texts and of the term labels (from the codebook, with the
        reference category of a factor level).

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_lang(lang)
    tab = estimates.to_frame() if hasattr(estimates, "to_frame") else estimates
    need = {"term", "estimate", "ci_low", "ci_high"}
    if not isinstance(tab, pd.DataFrame) or not need <= set(tab.columns):
        raise ValueError(f"odds_ratio_forest needs a model or a frame with columns {sorted(need)}")
    tab = tab[~tab["term"].isin(exclude)].reset_index(drop=True)
    terms = [term_label(str(t), lang, institution_means=True) for t in tab["term"]]  # type: ignore[arg-type]
    labels = pd.Series(
        [f"{term_label(str(g), lang)}: {t}" for g, t in zip(tab[group], terms, strict=True)]  # type: ignore[arg-type]
        if group
        else terms,
        dtype=object,
    )
    if ax is None:
        # the plot keeps about 3.5 inches beside the labels (7-point text: ~0.055 in a letter)
        longest = max((len(t) for t in labels), default=0)
        fig = Figure(figsize=(max(6.5, 3.5 + 0.055 * longest), 0.3 * len(tab) + 1.2))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    y = np.arange(len(tab))[::-1]
    est = np.exp(tab["estimate"].to_numpy())
    lo, hi = np.exp(tab["ci_low"].to_numpy()), np.exp(tab["ci_high"].to_numpy())
    ax.errorbar(
        est,
        y,
        xerr=np.clip([est - lo, hi - est], 0, None),
        fmt="s",
        ms=4,
        color="0.15",
        ecolor="0.5",
    )
    ax.axvline(1.0, color="firebrick", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y, labels.tolist(), fontsize=7)
    ax.set_xlabel(figure_text("or_axis", lang))
    ax.set_title(title or figure_text("or_title", lang))
    fig.tight_layout()
    return fig
