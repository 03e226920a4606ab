"""The steps of the report, one per analysis, in report order (:data:`STEPS`).

Each step calls the package's analysis API (never computes statistics itself), names its
tables and figures, and writes one reading per output. Readings quote only estimates whose
groups pass the disclosure threshold (:func:`visible`).

Analysis modules are imported inside the steps, so a step whose module is missing (or broken)
fails on its own with that reason while the other steps still run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..schema import load_codebook
from .runner import ReportContext, Step, StepOutput

__all__ = ["STEPS", "register", "visible"]

#: The step registry, in report order (see :func:`register`).
STEPS: dict[str, Step] = {}

_EXCLUSION = ("n_missing", "n_excluded", "n_not_applicable")


def register(
    name: str, chapter: str, en: str, nl: str, module: str = ""
) -> Callable[[Callable[[ReportContext], StepOutput]], Callable[[ReportContext], StepOutput]]:
    """Decorator adding a step function to :data:`STEPS` under ``name``."""

    def deco(fn: Callable[[ReportContext], StepOutput]) -> Callable[[ReportContext], StepOutput]:
        if name in STEPS:
            raise ValueError(f"step {name!r} registered twice")
        STEPS[name] = Step(name, chapter, {"en": en, "nl": nl}, fn, module)
        return fn

    return deco


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def visible(df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Rows whose cell counts (``n``, ``n_*`` but not exclusions, ``count*``) all reach
    ``threshold``: the only rows a reading may quote."""
    cols = [
        c for c in df.columns if (c == "n" or c.startswith(("n_", "count"))) and c not in _EXCLUSION
    ]
    if not cols:
        return df
    ok = pd.Series(True, index=df.index)
    for c in cols:
        ok &= pd.to_numeric(df[c], errors="coerce").fillna(0) >= threshold
    return df.loc[ok]


def _pct(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.0f}%"


def _say(ctx: ReportContext, en: str, nl: str) -> str:
    return nl if ctx.lang == "nl" else en


def _label(group: str, key: Any, ctx: ReportContext) -> str:
    try:
        return load_codebook().concept_label(group, str(key), ctx.lang)
    except KeyError:
        return str(key)


def _prisoners(ctx: ReportContext) -> pd.DataFrame:
    """The prisoners table with the derived variables (computed once per run)."""
    from ..derive import add_derived

    return ctx.cached("prisoners", lambda: add_derived(ctx.inputs.prisoners))


def _rows(*frames: pd.DataFrame) -> tuple[int | None, dict[str, int]]:
    """Rows used and excluded from the ``attrs`` convention of the analysis modules
    (``n_rows``, ``n_excluded``); the largest exclusion per reason over the frames."""
    n_rows = None
    excluded: dict[str, int] = {}
    for f in frames:
        a = getattr(f, "attrs", {}) or {}
        if "n_rows" in a:
            n_rows = max(n_rows or 0, int(a["n_rows"]))
        for k, v in (a.get("n_excluded") or {}).items():
            excluded[str(k)] = max(excluded.get(str(k), 0), int(v))
    if n_rows is None:
        return None, excluded
    return n_rows - sum(excluded.values()), excluded


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
@register("data_overview", "data", "The data", "De gegevens")
def data_overview(ctx: ReportContext) -> StepOutput:
    """Rows per table, validation state, and the sample by regime and by institution."""
    cb = load_codebook()
    inp = ctx.inputs
    rows = []
    for table, rep in inp.validation.items():
        rows.append(
            {
                "table": table,
                "n": rep.n_rows,
                "columns": rep.n_columns,
                "errors": len(rep.errors),
                "warnings": len(rep.warnings),
            }
        )
    overview = pd.DataFrame(rows, columns=["table", "n", "columns", "errors", "warnings"])
    p = _prisoners(ctx)
    regimes = [r for r in cb.regimes if r in set(p["regime"].dropna())]
    by_regime = pd.DataFrame(
        [
            {
                "regime": r,
                "n": int((p["regime"] == r).sum()),
                "share": float((p["regime"] == r).mean()),
                "mean_age": float(p.loc[p["regime"] == r, "age"].mean()) if "age" in p else np.nan,
                "mean_weeks_detained": float(p.loc[p["regime"] == r, "weeks_detained"].mean())
                if "weeks_detained" in p
                else np.nan,
            }
            for r in regimes
        ],
        columns=["regime", "n", "share", "mean_age", "mean_weeks_detained"],
    )
    inst = sorted(p["institution_id"].dropna().unique()) if "institution_id" in p else []
    by_inst = pd.DataFrame(
        [
            {
                "institution_id": i,
                "n": int((p["institution_id"] == i).sum()),
                "share_soon_released": float(
                    p.loc[p["institution_id"] == i, "soon_released"].mean()
                )
                if "soon_released" in p
                else np.nan,
            }
            for i in inst
        ],
        columns=["institution_id", "n", "share_soon_released"],
    )
    big = visible(by_regime, ctx.threshold)
    top = big.sort_values("n", ascending=False).head(1)
    n_p = len(p)
    if len(top):
        r = top.iloc[0]
        reading = _say(
            ctx,
            f"{n_p} prisoners in {len(inst)} institutions; the largest regime is "
            f"{_label('regimes', r['regime'], ctx)} ({_pct(r['share'])}).",
            f"{n_p} gedetineerden in {len(inst)} inrichtingen; het grootste regime is "
            f"{_label('regimes', r['regime'], ctx)} ({_pct(r['share'])}).",
        )
    else:
        reading = _say(
            ctx,
            "No regime reaches the disclosure threshold.",
            "Geen regime haalt de onthullingsdrempel.",
        )
    n_small = int((by_inst["n"] < ctx.threshold).sum())
    return StepOutput(
        tables={
            "data_tables": overview,
            "data_sample_by_regime": by_regime,
            "data_sample_by_institution": by_inst,
        },
        readings={
            "data_tables": _say(
                ctx,
                f"Source: {inp.source}; every table passed the codebook validation.",
                f"Bron: {inp.source}; elke tabel voldoet aan het codeboek.",
            ),
            "data_sample_by_regime": reading,
            "data_sample_by_institution": _say(
                ctx,
                f"Prisoners per institution; {n_small} institution(s) below {ctx.threshold} "
                "respondents are suppressed.",
                f"Gedetineerden per inrichting; {n_small} inrichting(en) onder {ctx.threshold} "
                "respondenten zijn onderdrukt.",
            ),
        },
        captions={
            "data_tables": _say(ctx, "Input tables", "Invoertabellen"),
            "data_sample_by_regime": _say(ctx, "Sample by regime", "Steekproef naar regime"),
            "data_sample_by_institution": _say(
                ctx, "Sample by institution", "Steekproef naar inrichting"
            ),
        },
        rows_used=n_p,
    )
