"""Write the chapter 2-3 (and family) tables and figures to a folder: a target for the CLI.

Computing comes from :func:`~reintegratie_stats.descriptives.chapter2_results` and
:func:`~reintegratie_stats.bivariate.chapter3_results`; rendering from
:mod:`~reintegratie_stats.reporting.tables` (with disclosure control) and
:mod:`~reintegratie_stats.figures.descriptives`. The unrounded tidy frames are written as CSV
only with ``raw_csv=True``, because they are not disclosure-controlled.

Examples
--------
>>> import tempfile, numpy as np, pandas as pd
>>> from reintegratie_stats.schema import load_codebook
>>> cb = load_codebook()
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({c: rng.binomial(1, 0.4, 300).astype(float) for c in
...     [f"contact_{t}" for t in cb.professional_types] + [f"need_{d}" for d in cb.domains]})
>>> paths = write_chapter_tables(df, tempfile.mkdtemp(), formats=("md",), figures=False)
>>> sorted(p.name for p in paths)[:2]
['contact_rates.md', 'cooccurrence.md']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from ..schema import load_codebook
from .tables import to_html, to_latex, to_markdown

__all__ = ["write_chapter_tables"]

_RENDER = {"md": to_markdown, "html": to_html, "tex": to_latex}


def write_chapter_tables(
    prisoners: pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: Literal["en", "nl"] = "en",
    formats: Sequence[str] = ("md", "html", "tex"),
    weight: str | None = None,
    threshold: int | None = None,
    percent: bool = True,
    figures: bool = True,
    raw_csv: bool = False,
) -> list[Path]:
    """Render every chapter 2-3 result to ``out_dir`` (created if absent).

    Parameters
    ----------
    prisoners : DataFrame
        Canonical prisoners frame.
    out_dir : str or Path
    lang : {"en", "nl"}
    formats : sequence of {"md", "html", "tex"}
    weight : str, optional
        Survey-weight column.
    threshold : int, optional
        Disclosure threshold (default: the codebook's).
    percent : bool
        Shares as percentages (one decimal).
    figures : bool
        Also write the three PNG figures.
    raw_csv : bool
        Also write the unrounded, *unsuppressed* tidy frames as CSV (for internal use).

    Returns
    -------
    list of Path
        The files written.
    """
    from ..bivariate import chapter3_results
    from ..descriptives import chapter2_results

    bad = [f for f in formats if f not in _RENDER]
    if bad:
        raise ValueError(f"unknown table format(s) {bad}; use {tuple(_RENDER)}")
    cb = load_codebook()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = {
        **chapter2_results(prisoners, weight=weight, codebook=cb),
        **chapter3_results(prisoners, weight=weight, codebook=cb),
    }
    written: list[Path] = []
    for name, frame in results.items():
        for fmt in formats:
            text = _RENDER[fmt](
                frame,
                lang=lang,
                threshold=threshold,
                codebook=cb,
                percent=percent,
            )
            path = out / f"{name}.{fmt}"
            path.write_text(text + "\n", encoding="utf-8")
            written.append(path)
        if raw_csv:
            path = out / f"{name}.raw.csv"
            frame.to_csv(path, index=False)
            written.append(path)
    if figures:
        from ..figures.descriptives import contact_rates_figure, family_contact_figure, forest_plot

        figs = {}
        if "contact_rates_by_regime" in results:
            figs["fig_contact_rates_by_regime"] = contact_rates_figure(
                results["contact_rates_by_regime"], lang, threshold=threshold
            )
        figs["fig_needs_vs_contact_forest"] = forest_plot(
            results["needs_vs_contact"], lang, threshold=threshold
        )
        if "family_contact_by_regime" in results:
            figs["fig_family_contact_by_regime"] = family_contact_figure(
                results["family_contact_by_regime"], lang, threshold=threshold
            )
        for name, fig in figs.items():
            path = out / f"{name}.png"
            fig.savefig(path, dpi=150)
            written.append(path)
    return written
