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
        text = load_codebook().concept_label(group, str(key), ctx.lang)
    except KeyError:
        return str(key)
    if group == "professional_types" and ctx.lang == "en":
        return text[:1].lower() + text[1:]  # "the case manager", mid-sentence
    return text


def _prisoners(ctx: ReportContext) -> pd.DataFrame:
    """The prisoners table with the derived variables (computed once per run)."""
    from ..derived_variables import add_derived

    return ctx.cached("prisoners", lambda: add_derived(ctx.inputs.prisoners))


def _max_col(frames: tuple[pd.DataFrame, ...], col: str) -> int | None:
    vals = [pd.to_numeric(f[col], errors="coerce").max() for f in frames if col in f.columns]
    vals = [int(v) for v in vals if pd.notna(v)]
    return max(vals) if vals else None


def _rows(*frames: pd.DataFrame) -> tuple[int | None, dict[str, int]]:
    """Rows used and excluded by an analysis, from the conventions of the analysis modules.

    ``attrs["n_rows"]`` and ``attrs["n_excluded"]`` (rows outside every group, by reason);
    otherwise the largest ``n`` of the tables. Per-estimate exclusions (``n_missing``,
    ``n_excluded`` columns) are reported as the largest over the estimates, since each
    estimate leaves out its own rows.
    """
    n_rows = None
    excluded: dict[str, int] = {}
    for f in frames:
        a = getattr(f, "attrs", {}) or {}
        if "n_rows" in a:
            n_rows = max(n_rows or 0, int(a["n_rows"]))
        for k, v in (a.get("n_excluded") or {}).items():
            excluded[str(k)] = max(excluded.get(str(k), 0), int(v))
    used = None if n_rows is None else n_rows - sum(excluded.values())
    if used is None:
        used = _max_col(frames, "n")
    for col, reason in (
        ("n_missing", "missing answer (largest over estimates)"),
        ("n_excluded", "excluded by the model (largest over models)"),
    ):
        m = _max_col(frames, col)
        if m:
            excluded[reason] = m
    return used, excluded


def _row_counts(primary: pd.DataFrame, *others: pd.DataFrame) -> dict[str, Any]:
    """``rows_used`` from the primary table and ``rows_excluded`` over all tables of a step."""
    return {"rows_used": _rows(primary)[0], "rows_excluded": _rows(primary, *others)[1]}


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
        rows.append(  # columns and issues are not counts of people: one text cell
            {
                "table": table,
                "n": rep.n_rows,
                "validation": _say(
                    ctx,
                    f"{rep.n_columns} columns, {len(rep.errors)} errors, "
                    f"{len(rep.warnings)} warnings",
                    f"{rep.n_columns} kolommen, {len(rep.errors)} fouten, "
                    f"{len(rep.warnings)} waarschuwingen",
                ),
            }
        )
    overview = pd.DataFrame(rows, columns=["table", "n", "validation"])
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
    out = StepOutput(
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
    from .data_quality import add_data_quality

    add_data_quality(out, inp, ctx.lang)  # warnings and conversions listed, not just counted
    return out


# --------------------------------------------------------------------------------------------
# Chapter 2: contact rates (descriptives)
# --------------------------------------------------------------------------------------------
def _rate_extremes(df: pd.DataFrame, ctx: ReportContext) -> tuple[pd.Series, pd.Series] | None:
    vis = visible(df, ctx.threshold).dropna(subset=["rate"])
    if vis.empty:
        return None
    vis = vis.sort_values(["rate", "type"], ascending=[False, True])
    return vis.iloc[0], vis.iloc[-1]


@register(
    "ch2_contact_rates",
    "ch2",
    "Contact with each professional type",
    "Contact met elk type professional",
    "descriptives",
)
def ch2_contact_rates(ctx: ReportContext) -> StepOutput:
    from .. import descriptives as D
    from ..figures import descriptives as F

    p = _prisoners(ctx)
    overall = D.contact_rates(p)
    by_regime = D.contact_rates(p, by="regime")
    by_band = D.contact_rates(p, by="detention_length_band")
    by_phase = D.contact_rates(p, by="phase")
    ext = _rate_extremes(overall, ctx)
    if ext:
        hi, lo = ext
        r_overall = _say(
            ctx,
            f"Contact is most common with the {_label('professional_types', hi['type'], ctx)} "
            f"({_pct(hi['rate'])}) and least common with the "
            f"{_label('professional_types', lo['type'], ctx)} ({_pct(lo['rate'])}).",
            f"Contact is het vaakst met {_label('professional_types', hi['type'], ctx)} "
            f"({_pct(hi['rate'])}) en het minst met "
            f"{_label('professional_types', lo['type'], ctx)} ({_pct(lo['rate'])}).",
        )
    else:
        r_overall = _say(
            ctx,
            "No rate reaches the disclosure threshold.",
            "Geen percentage haalt de onthullingsdrempel.",
        )

    def lowest_group(df: pd.DataFrame, col: str, group: str) -> str:
        vis = visible(df, ctx.threshold).dropna(subset=["rate"])
        if vis.empty:
            return "–"
        mean = vis.groupby(col, sort=True)["rate"].mean().sort_values(kind="stable")
        return _label(group, mean.index[0], ctx)

    ext_types = set(load_codebook().external_types)
    ext_reg = visible(by_regime, ctx.threshold)
    ext_reg = ext_reg[ext_reg["type"].isin(ext_types)].dropna(subset=["rate"])
    top_reg = (
        ext_reg.groupby("regime", sort=True)["rate"]
        .mean()
        .sort_values(ascending=False, kind="stable")
    )
    top_txt = ", ".join(_label("regimes", r, ctx) for r in top_reg.index[:2]) or "–"
    return StepOutput(
        tables={
            "ch2_contact_rates": overall,
            "ch2_contact_rates_by_regime": by_regime,
            "ch2_contact_rates_by_detention_length": by_band,
            "ch2_contact_rates_by_phase": by_phase,
        },
        figures={
            "ch2_contact_rates_by_regime": F.contact_rates_figure(
                by_regime, ctx.lang, threshold=ctx.threshold
            )
        },
        readings={
            "ch2_contact_rates": r_overall,
            "ch2_contact_rates_by_regime": _say(
                ctx,
                f"External professionals are seen most often in: {top_txt}.",
                f"Externe professionals worden het vaakst gezien in: {top_txt}.",
            ),
            "ch2_contact_rates_by_detention_length": _say(
                ctx,
                "Contact is lowest, averaged over the six types, in the band "
                f"{lowest_group(by_band, 'detention_length_band', 'detention_length_bands')}.",
                "Contact is gemiddeld over de zes typen het laagst in de groep "
                f"{lowest_group(by_band, 'detention_length_band', 'detention_length_bands')}.",
            ),
            "ch2_contact_rates_by_phase": _say(
                ctx,
                "Contact is lowest, averaged over the six types, in the phase "
                f"{lowest_group(by_phase, 'phase', 'phases')}.",
                "Contact is gemiddeld over de zes typen het laagst in de fase "
                f"{lowest_group(by_phase, 'phase', 'phases')}.",
            ),
        },
        captions={
            "ch2_contact_rates": _say(
                ctx,
                "Contact in the last six months, by professional type",
                "Contact in de afgelopen zes maanden, naar type professional",
            ),
            "ch2_contact_rates_by_regime": _say(ctx, "Contact by regime", "Contact naar regime"),
            "ch2_contact_rates_by_detention_length": _say(
                ctx, "Contact by detention length", "Contact naar detentieduur"
            ),
            "ch2_contact_rates_by_phase": _say(
                ctx, "Contact by phase of detention", "Contact naar fase van detentie"
            ),
        },
        **_row_counts(overall, by_regime, by_band, by_phase),
    )


@register(
    "ch2_satisfaction",
    "ch2",
    "Satisfaction among those in contact",
    "Tevredenheid bij wie contact had",
    "descriptives",
)
def ch2_satisfaction(ctx: ReportContext) -> StepOutput:
    from .. import descriptives as D

    p = _prisoners(ctx)
    sat = D.satisfaction(p)
    gen = visible(sat[sat["item"] == "sat"], ctx.threshold).dropna(subset=["mean"])
    if len(gen):
        gen = gen.sort_values(["mean", "type"], ascending=[False, True])
        hi, lo = gen.iloc[0], gen.iloc[-1]
        reading = _say(
            ctx,
            f"General satisfaction (1-5) is highest with the "
            f"{_label('professional_types', hi['type'], ctx)} ({hi['mean']:.2f}) and lowest with "
            f"the {_label('professional_types', lo['type'], ctx)} ({lo['mean']:.2f}).",
            f"De algemene tevredenheid (1-5) is het hoogst over "
            f"{_label('professional_types', hi['type'], ctx)} ({hi['mean']:.2f}) en het laagst "
            f"over {_label('professional_types', lo['type'], ctx)} ({lo['mean']:.2f}).",
        )
    else:
        reading = _say(
            ctx,
            "No group reaches the disclosure threshold.",
            "Geen groep haalt de onthullingsdrempel.",
        )
    return StepOutput(
        tables={"ch2_satisfaction": sat},
        readings={"ch2_satisfaction": reading},
        captions={
            "ch2_satisfaction": _say(
                ctx,
                "Satisfaction (1-5) among those with contact",
                "Tevredenheid (1-5) bij wie contact had",
            )
        },
        **_row_counts(sat),
    )


@register(
    "ch2_cooccurrence",
    "ch2",
    "Co-occurrence of contact types",
    "Samenhang tussen contacttypen",
    "descriptives",
)
def ch2_cooccurrence(ctx: ReportContext) -> StepOutput:
    from .. import descriptives as D

    co = D.cooccurrence(_prisoners(ctx))
    vis = visible(co, ctx.threshold).dropna(subset=["phi"])
    pos = int((vis["phi"] > 0).sum())
    return StepOutput(
        tables={"ch2_cooccurrence": co},
        readings={
            "ch2_cooccurrence": _say(
                ctx,
                f"{pos} of {len(vis)} pairs of professional types are positively associated "
                "(phi > 0): contacts go together.",
                f"{pos} van {len(vis)} paren van typen professionals hangen positief samen "
                "(phi > 0): contacten gaan samen.",
            )
        },
        captions={
            "ch2_cooccurrence": _say(
                ctx,
                "Co-occurrence of contact, pairs of types",
                "Samen voorkomen van contact, paren van typen",
            )
        },
        **_row_counts(co),
    )


@register(
    "ch2_policy_norms",
    "ch2",
    "Gap to the policy norms",
    "Afstand tot de beleidsnormen",
    "descriptives",
)
def ch2_policy_norms(ctx: ReportContext) -> StepOutput:
    from .. import descriptives as D

    gap = D.policy_norm_gap(_prisoners(ctx))
    vis = (
        visible(gap, ctx.threshold)
        .dropna(subset=["gap"])
        .sort_values(["gap", "norm"], ascending=[False, True])
    )
    if len(vis):
        top = vis.iloc[0]
        reading = _say(
            ctx,
            f"The largest gap is for the norm '{_label('policy_norms', top['norm'], ctx)}': "
            f"{_pct(top['gap'])} of prisoners are not reached.",
            f"De grootste afstand is er bij de norm '{_label('policy_norms', top['norm'], ctx)}': "
            f"{_pct(top['gap'])} van de gedetineerden wordt niet bereikt.",
        )
    else:
        reading = "–"
    return StepOutput(
        tables={"ch2_policy_norm_gap": gap},
        readings={"ch2_policy_norm_gap": reading},
        captions={
            "ch2_policy_norm_gap": _say(
                ctx,
                "Share meeting each policy norm (upper bound)",
                "Aandeel dat aan elke beleidsnorm voldoet (bovengrens)",
            )
        },
        **_row_counts(gap),
    )


# --------------------------------------------------------------------------------------------
# Chapter 3: needs versus contact (bivariate)
# --------------------------------------------------------------------------------------------
@register(
    "ch3_needs_vs_contact",
    "ch3",
    "Prior needs and contact with each type",
    "Problemen voor detentie en contact met elk type",
    "bivariate",
)
def ch3_needs_vs_contact(ctx: ReportContext) -> StepOutput:
    from .. import bivariate as B
    from ..figures import descriptives as F

    res = B.needs_vs_contact(_prisoners(ctx))
    vis = visible(res, ctx.threshold)
    sig = vis[vis["p_adjusted"] < 0.05]
    cb = load_codebook()
    internal = sig[sig["type"].isin(cb.internal_types)]
    matched = sig[sig["matched"].astype(bool)]
    reading = _say(
        ctx,
        f"{len(sig)} of {len(res)} need-by-type associations are significant after adjustment; "
        f"{int((matched['odds_ratio'] > 1).sum())} matched need(s) go with more contact with the "
        f"matching external professional, {int((internal['odds_ratio'] < 1).sum())} need(s) with "
        "less contact with the case manager or mentor.",
        f"{len(sig)} van {len(res)} verbanden tussen probleem en type zijn significant na "
        f"correctie; {int((matched['odds_ratio'] > 1).sum())} passend(e) probleem/problemen gaan "
        "samen met meer contact met de passende externe professional, "
        f"{int((internal['odds_ratio'] < 1).sum())} met minder contact met casemanager of mentor.",
    )
    return StepOutput(
        tables={"ch3_needs_vs_contact": res},
        figures={
            "ch3_needs_vs_contact_forest": F.forest_plot(res, ctx.lang, threshold=ctx.threshold)
        },
        readings={
            "ch3_needs_vs_contact": reading,
            "ch3_needs_vs_contact_forest": _say(
                ctx,
                "Odds ratios above 1: the need goes with more contact with that type.",
                "Odds ratio boven 1: het probleem gaat samen met meer contact met dat type.",
            ),
        },
        captions={
            "ch3_needs_vs_contact": _say(
                ctx,
                "Prior need x contact: odds ratios and tests",
                "Probleem x contact: odds ratio's en toetsen",
            ),
            "ch3_needs_vs_contact_forest": _say(
                ctx,
                "Odds ratios of contact by prior need",
                "Odds ratio's van contact naar probleem",
            ),
        },
        **_row_counts(res),
    )


@register(
    "ch3_no_contact",
    "ch3",
    "No contact with any professional",
    "Geen contact met enige professional",
    "bivariate",
)
def ch3_no_contact(ctx: ReportContext) -> StepOutput:
    from .. import bivariate as B

    p = _prisoners(ctx)
    by_need = B.no_contact_by_need(p)
    by_n = B.no_contact_by_n_needs(p)
    vis = (
        visible(by_need, ctx.threshold)
        .dropna(subset=["odds_ratio"])
        .sort_values(["odds_ratio", "need"], ascending=[False, True])
    )
    top = vis.iloc[0] if len(vis) else None
    label = (
        _label("domains", top["need"], ctx)
        if top is not None and top["need"] != "complex_needs"
        else _say(ctx, "complex needs", "meervoudige problemen")
    )
    vis_n = visible(by_n, ctx.threshold)
    rates = ", ".join(
        f"{g}: {_pct(r)}" for g, r in zip(vis_n["needs_group"], vis_n["rate"], strict=True)
    )
    return StepOutput(
        tables={"ch3_no_contact_by_need": by_need, "ch3_no_contact_by_n_needs": by_n},
        readings={
            "ch3_no_contact_by_need": _say(
                ctx,
                f"Having no contact at all is most strongly associated with: {label}.",
                f"Helemaal geen contact hangt het sterkst samen met: {label}.",
            )
            if top is not None
            else "–",
            "ch3_no_contact_by_n_needs": _say(
                ctx,
                f"Share without any contact by number of needs: {rates or '–'}.",
                f"Aandeel zonder enig contact naar aantal problemen: {rates or '–'}.",
            ),
        },
        captions={
            "ch3_no_contact_by_need": _say(
                ctx,
                "No contact with any of the six, by prior need",
                "Geen contact met een van de zes, naar probleem",
            ),
            "ch3_no_contact_by_n_needs": _say(
                ctx, "No contact by number of needs", "Geen contact naar aantal problemen"
            ),
        },
        **_row_counts(by_need, by_n),
    )


@register(
    "ch3_contact_by_phase",
    "ch3",
    "Contact by phase of detention",
    "Contact naar fase van detentie",
    "bivariate",
)
def ch3_contact_by_phase(ctx: ReportContext) -> StepOutput:
    from .. import bivariate as B

    res = B.contact_by_phase(_prisoners(ctx))
    vis = visible(res, ctx.threshold)
    sig = sorted(
        set(vis.loc[vis["p_adjusted"] < 0.05, "type"]),
        key=list(load_codebook().professional_types).index,
    )
    names = ", ".join(_label("professional_types", t, ctx) for t in sig) or "–"
    return StepOutput(
        tables={"ch3_contact_by_phase": res},
        readings={
            "ch3_contact_by_phase": _say(
                ctx,
                f"Contact differs significantly between phases for: {names}.",
                f"Contact verschilt significant tussen de fasen voor: {names}.",
            )
        },
        captions={
            "ch3_contact_by_phase": _say(
                ctx, "Contact by phase, with tests", "Contact naar fase, met toetsen"
            )
        },
        **_row_counts(res),
    )


# --------------------------------------------------------------------------------------------
# Family-contact extension: rates and bivariate
# --------------------------------------------------------------------------------------------
@register(
    "family_rates",
    "family",
    "Family contact by regime and phase",
    "Contact met gezin en familie naar regime en fase",
    "descriptives",
)
def family_rates(ctx: ReportContext) -> StepOutput:
    from .. import descriptives as D
    from ..figures import descriptives as F

    p = _prisoners(ctx)
    overall = D.family_contact_rates(p)
    by_regime = D.family_contact_rates(p, by="regime")
    by_phase = D.family_contact_rates(p, by="phase")
    vis = (
        visible(overall, ctx.threshold)
        .dropna(subset=["rate"])
        .sort_values(["rate", "measure"], ascending=[False, True])
    )
    cb = load_codebook()
    if len(vis):
        top = vis.iloc[0]
        what = cb.label(str(top["variable"]), ctx.lang) if "variable" in top else top["measure"]
        reading = _say(
            ctx,
            f"The most common form of family contact: {what} ({_pct(top['rate'])}).",
            f"De meest voorkomende vorm van contact: {what} ({_pct(top['rate'])}).",
        )
    else:
        reading = "–"
    return StepOutput(
        tables={
            "family_contact_rates": overall,
            "family_contact_rates_by_regime": by_regime,
            "family_contact_rates_by_phase": by_phase,
        },
        figures={
            "family_contact_rates_by_regime": F.family_contact_figure(
                by_regime, ctx.lang, threshold=ctx.threshold
            )
        },
        readings={
            "family_contact_rates": reading,
            "family_contact_rates_by_regime": _say(
                ctx,
                "Family contact differs by regime; see the figure for intervals.",
                "Familiecontact verschilt per regime; zie de figuur voor de intervallen.",
            ),
            "family_contact_rates_by_phase": _say(
                ctx,
                "Family contact by phase of detention.",
                "Familiecontact naar fase van detentie.",
            ),
        },
        captions={
            "family_contact_rates": _say(
                ctx,
                "Family contact (share with at least one)",
                "Familiecontact (aandeel met minstens een)",
            ),
            "family_contact_rates_by_regime": _say(
                ctx, "Family contact by regime", "Familiecontact naar regime"
            ),
            "family_contact_rates_by_phase": _say(
                ctx, "Family contact by phase", "Familiecontact naar fase"
            ),
        },
        **_row_counts(overall, by_regime, by_phase),
    )


@register(
    "family_bivariate",
    "family",
    "Children, needs and family contact",
    "Kinderen, problemen en familiecontact",
    "bivariate",
)
def family_bivariate(ctx: ReportContext) -> StepOutput:
    from .. import bivariate as B

    p = _prisoners(ctx)
    kids = B.family_by_children(p)
    needs = B.family_by_needs(p)
    n_sig = int((visible(kids, ctx.threshold)["p_adjusted"] < 0.05).sum())
    n_sig2 = int((visible(needs, ctx.threshold)["p_adjusted"] < 0.05).sum())
    return StepOutput(
        tables={"family_by_children": kids, "family_by_needs": needs},
        readings={
            "family_by_children": _say(
                ctx,
                f"Having minor children is significantly related to {n_sig} of {len(kids)} "
                "family-contact measures.",
                f"Minderjarige kinderen hebben hangt significant samen met {n_sig} van {len(kids)} "
                "maten van familiecontact.",
            ),
            "family_by_needs": _say(
                ctx,
                f"{n_sig2} of {len(needs)} need-by-measure associations are significant "
                "after adjustment.",
                f"{n_sig2} van {len(needs)} verbanden tussen probleem en maat zijn significant "
                "na correctie.",
            ),
        },
        captions={
            "family_by_children": _say(
                ctx,
                "Has minor children x family contact",
                "Heeft minderjarige kinderen x familiecontact",
            ),
            "family_by_needs": _say(
                ctx, "Prior need x family contact", "Probleem voor detentie x familiecontact"
            ),
        },
        **_row_counts(kids, needs),
    )


# --------------------------------------------------------------------------------------------
# Chapters 4 and 5, and their family extensions: workflows returning dicts of tidy frames
# --------------------------------------------------------------------------------------------
def _frames(prefix: str, res: Any) -> dict[str, pd.DataFrame]:
    """Flatten a workflow's result (dict of frames / ModelResults / nested dicts) to tables."""
    from ..results import ModelResults

    out: dict[str, pd.DataFrame] = {}

    def walk(key: str, value: Any) -> None:
        if isinstance(value, pd.DataFrame):
            out[key] = value
        elif isinstance(value, ModelResults):
            out[key] = value.to_frame()
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{key}_{k}", v)

    walk(prefix, res)
    return out


def _workflow(module: str, name: str) -> Callable[..., Any]:
    import importlib

    mod = importlib.import_module(f"reintegratie_stats.{module}")
    fn = getattr(mod, name, None)
    if fn is None:
        raise NotImplementedError(f"{module}.{name} is not available in this version")
    return fn


def generic_reading(df: pd.DataFrame, ctx: ReportContext) -> str:
    """A one-line reading for a model table: how many estimates differ from zero (groups
    below the threshold left out)."""
    vis = visible(df, ctx.threshold)
    if {"estimate", "p_value"} <= set(vis.columns):
        base = vis[vis["term"] != "Intercept"] if "term" in vis.columns else vis
        k = int((pd.to_numeric(base["p_value"], errors="coerce") < 0.05).sum())
        return _say(
            ctx,
            f"{k} of {len(base)} estimates differ significantly from zero (p < 0.05).",
            f"{k} van {len(base)} schattingen wijken significant af van nul (p < 0,05).",
        )
    return _say(ctx, f"{len(df)} rows.", f"{len(df)} rijen.")


def _generic(prefix: str, res: Any, ctx: ReportContext) -> StepOutput:
    tables = _frames(prefix, res)
    readings = {name: generic_reading(df, ctx) for name, df in tables.items()}
    used, excl = _rows(*tables.values())
    return StepOutput(tables=tables, readings=readings, rows_used=used, rows_excluded=excl)


# The model chapters live in their own files; importing them registers their steps.
from . import steps_multilevel, steps_multivariate  # noqa: E402, F401


def _report_order() -> None:
    """Keep :data:`STEPS` in report order (chapters as in :data:`~.runner.CHAPTERS`)."""
    from .runner import CHAPTERS

    rank = {c: i for i, c in enumerate(CHAPTERS)}
    ordered = sorted(STEPS.items(), key=lambda kv: rank[kv[1].chapter])
    STEPS.clear()
    STEPS.update(ordered)


_report_order()
