"""THE report spec: every section (step) of the report and every output it publishes.

Each published table and figure is one record (:func:`~.spec.table`, :func:`~.spec.figure`)
with its name written here once, the call that computes it, its reading and its figure.
Captions, readings and titles are in ``data_schema/report_texts_<lang>.yaml`` under the same
names: a reading returns the fields of its own text (``readings.<name>``), or another text
(``ctx.text(key)``, e.g. when no group passes the threshold), or None for the generic one. To add a table: add a record to its section here and its caption (and reading text)
to both text files; the runner, writers, HTML page and manifest pick it up.

Sections call the package's analysis API (never compute statistics themselves). Readings
quote only estimates whose groups pass the disclosure threshold (``ctx.visible``). Analysis
modules are imported inside the compute calls, so a section whose module is missing (or
broken) fails on its own with that reason while the others still run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..publication.terms import term_label
from ..schema import load_codebook
from ..statistics.tests import adjust_pvalues
from .data_quality import conversions_table, missing_code_cells, warnings_table
from .runner import ReportContext
from .spec import Section, figure, models_from_accounting, pct, steps_of, table

__all__ = ["LADDERS", "SECTIONS", "STEPS", "ladder_readings"]

#: What a reading returns: the fields of its output's own text ``readings.<name>`` (or a
#: whole other text as a str, or None for the generic reading).
Fields = dict[str, Any]


def _prisoners(ctx: ReportContext) -> pd.DataFrame:
    """The prisoners table with the derived variables (computed once per run); regimes,
    phases and detention-length bands held by fewer people than the threshold are merged
    into "other" before anything is computed (:func:`~reintegratie_stats.disclosure.collapse_small_categories`)."""
    from ..derived_variables import add_derived
    from ..disclosure import collapse_small_categories

    def make() -> pd.DataFrame:
        small = collapse_small_categories(add_derived(ctx.inputs.prisoners), ctx.threshold)
        ctx.cache["categories_collapsed"] = small.merged
        return small.frame

    return ctx.cached("prisoners", make)


def _collapsed_notes(merged: dict[str, list[str]], ctx: ReportContext, where: str) -> list[str]:
    """The report says which categories were merged into "other" and why."""
    if not merged:
        return []
    what = "; ".join(
        f"{c}: " + ", ".join(str(ctx.label(_LABEL_GROUPS.get(c, c), v)) for v in levels)
        for c, levels in merged.items()
    )
    return [ctx.text("collapsed", threshold=ctx.threshold, where=ctx.text(where), what=what)]


#: Concept groups of the collapsed category columns (for their labels).
_LABEL_GROUPS = {
    "regime": "regimes",
    "phase": "phases",
    "detention_length_band": "detention_length_bands",
}


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def _data(ctx: ReportContext) -> dict[str, Any]:
    """Rows per table, validation state, and the sample by regime and by institution
    (institutions with fewer prisoners than the threshold pooled into one "other" row)."""
    from ..disclosure import collapse_small

    cb = load_codebook()
    rows = [  # columns and issues are not counts of people: one text cell
        {
            "table": table_name,
            "n": rep.n_rows,
            "validation": ctx.text(
                "validation",
                columns=rep.n_columns,
                errors=len(rep.errors),
                warnings=len(rep.warnings),
            ),
        }
        for table_name, rep in ctx.inputs.validation.items()
    ]
    p = _prisoners(ctx)
    present = set(p["regime"].dropna())
    regimes = [r for r in cb.regimes if r in present] + sorted(present - set(cb.regimes))
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
    inst_ids = p["institution_id"] if "institution_id" in p else pd.Series(dtype=object)
    pooled = collapse_small(inst_ids, ctx.threshold)  # small institutions: one "other" row
    n_small = len(set(inst_ids.dropna()) - set(pooled.dropna()))
    inst = sorted(pooled.dropna().unique(), key=lambda i: (i == "other", str(i)))
    by_inst = pd.DataFrame(
        [
            {
                "institution_id": i,
                "n": int((pooled == i).sum()),
                "share_soon_released": float(p.loc[pooled == i, "soon_released"].mean())
                if "soon_released" in p
                else np.nan,
            }
            for i in inst
        ],
        columns=["institution_id", "n", "share_soon_released"],
    )
    return {
        "tables": pd.DataFrame(rows, columns=["table", "n", "validation"]),
        "by_regime": by_regime,
        "by_institution": by_inst,
        "n_prisoners": len(p),
        "n_institutions": int(inst_ids.nunique()),
        "n_small_institutions": n_small,
    }


def _nonempty(df: pd.DataFrame) -> pd.DataFrame | None:
    """``df``, or None (the output does not apply) when it has no rows."""
    return df if len(df) else None


def _read_by_regime(t: pd.DataFrame, r: dict[str, Any], ctx: ReportContext) -> Fields | str:
    top = ctx.visible(t).sort_values("n", ascending=False).head(1)
    if not len(top):
        return ctx.text("no_regime_visible")
    row = top.iloc[0]
    return dict(
        n=r["n_prisoners"],
        n_inst=r["n_institutions"],
        regime=ctx.label("regimes", row["regime"]),
        share=pct(row["share"]),
    )


DATA = Section(
    "data_overview",
    "data",
    _data,
    (
        table(
            "data_tables",
            lambda r, ctx: r["tables"],
            lambda t, r, ctx: dict(source=ctx.inputs.source),
            reading_from="section",
        ),
        table(
            "data_sample_by_regime",
            lambda r, ctx: r["by_regime"],
            _read_by_regime,
            reading_from="section",
        ),
        table(
            "data_sample_by_institution",
            lambda r, ctx: r["by_institution"],
            lambda t, r, ctx: dict(n_small=r["n_small_institutions"], threshold=ctx.threshold),
            reading_from="section",
        ),
        # warnings and conversions are listed, not just counted (absent when there are none)
        table(
            "data_warnings",
            lambda r, ctx: _nonempty(warnings_table(ctx.inputs)),
            lambda t, r, ctx: dict(n=len(t)),
        ),
        table(
            "data_conversions",
            lambda r, ctx: _nonempty(conversions_table(ctx.inputs)),
            lambda t, r, ctx: dict(n=missing_code_cells(t)),
        ),
    ),
    rows=lambda r, tables: (r["n_prisoners"], {}),
    notes=lambda r, ctx: _collapsed_notes(
        ctx.cache.get("categories_collapsed", {}), ctx, "collapsed_all"
    ),
)


# --------------------------------------------------------------------------------------------
# Chapter 2: contact rates (descriptives)
# --------------------------------------------------------------------------------------------
#: Intervals of the report's rates: design-based with the institutions as clusters (R's
#: ``svyciprop(method = "logit")`` on ``svydesign(ids = ~institution_id)``, unit weights; every
#: group a domain of the full design, as ``svyby``). Contact depends on the institution (ICC
#: .05-.2), so the rates are read as what the prison system gives a prisoner, whose
#: uncertainty includes which institution effects were realised; Wilson intervals on n treat
#: the 4,100 answers as independent and covered 59-71% of the twin's population rates
#: (``benchmarks/bench_design_coverage.py``), the clustered ones 93-98.5%. The method column
#: (``ci_method``) and the captions say so.
_RATE_CI: dict[str, Any] = {"method": "linearization", "cluster": "institution_id"}


def _contact_rates(ctx: ReportContext) -> dict[str, pd.DataFrame]:
    from .. import descriptives as D

    p = _prisoners(ctx)
    return {
        "overall": D.contact_rates(p, **_RATE_CI),
        "by_regime": D.contact_rates(p, by="regime", **_RATE_CI),
        "by_band": D.contact_rates(p, by="detention_length_band", **_RATE_CI),
        "by_phase": D.contact_rates(p, by="phase", **_RATE_CI),
    }


def _read_rates(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = ctx.visible(t).dropna(subset=["rate"])
    if vis.empty:
        return ctx.text("no_rate_visible")
    vis = vis.sort_values(["rate", "type"], ascending=[False, True])
    hi, lo = vis.iloc[0], vis.iloc[-1]
    return dict(
        hi=ctx.label("professional_types", hi["type"]),
        hi_rate=pct(hi["rate"]),
        lo=ctx.label("professional_types", lo["type"]),
        lo_rate=pct(lo["rate"]),
    )


def _read_rates_by_regime(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    ext = ctx.visible(t)
    ext = ext[ext["type"].isin(set(load_codebook().external_types))].dropna(subset=["rate"])
    top = (
        ext.groupby("regime", sort=True)["rate"].mean().sort_values(ascending=False, kind="stable")
    )
    regimes = ", ".join(ctx.label("regimes", g) for g in top.index[:2]) or "–"
    return dict(regimes=regimes)


def _lowest_group(col: str, group: str):
    """A reading naming the group with the lowest contact, averaged over the types."""

    def reading(t: pd.DataFrame, r: Any, ctx: ReportContext) -> dict[str, str]:
        vis = ctx.visible(t).dropna(subset=["rate"])
        if vis.empty:
            return {"group": "–"}
        mean = vis.groupby(col, sort=True)["rate"].mean().sort_values(kind="stable")
        return {"group": ctx.label(group, mean.index[0])}

    return reading


def _rates_figure(t: pd.DataFrame, ctx: ReportContext):
    from ..figures.descriptives import contact_rates_figure

    return contact_rates_figure(t, ctx.lang, threshold=ctx.threshold)


CH2_CONTACT_RATES = Section(
    "ch2_contact_rates",
    "ch2",
    _contact_rates,
    (
        table("ch2_contact_rates", lambda r, ctx: r["overall"], _read_rates),
        table(
            "ch2_contact_rates_by_regime",
            lambda r, ctx: r["by_regime"],
            _read_rates_by_regime,
            figure=_rates_figure,
        ),
        table(
            "ch2_contact_rates_by_detention_length",
            lambda r, ctx: r["by_band"],
            _lowest_group("detention_length_band", "detention_length_bands"),
        ),
        table(
            "ch2_contact_rates_by_phase",
            lambda r, ctx: r["by_phase"],
            _lowest_group("phase", "phases"),
        ),
    ),
)


def _read_satisfaction(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    gen = ctx.visible(t[t["item"] == "sat"]).dropna(subset=["mean"])
    if not len(gen):
        return ctx.text("no_group_visible")
    gen = gen.sort_values(["mean", "type"], ascending=[False, True])
    hi, lo = gen.iloc[0], gen.iloc[-1]
    return dict(
        hi=ctx.label("professional_types", hi["type"]),
        hi_mean=f"{hi['mean']:.2f}",
        lo=ctx.label("professional_types", lo["type"]),
        lo_mean=f"{lo['mean']:.2f}",
    )


def _descriptive(fn: str):
    """compute(ctx): one function of :mod:`reintegratie_stats.descriptives` on the prisoners."""

    def compute(ctx: ReportContext) -> pd.DataFrame:
        from .. import descriptives as D

        return getattr(D, fn)(_prisoners(ctx))

    return compute


def _bivariate(fn: str):
    """compute(ctx): one function of :mod:`reintegratie_stats.bivariate` on the prisoners,
    with the report's seed when the function resamples (a Monte Carlo exact test)."""

    def compute(ctx: ReportContext) -> pd.DataFrame:
        import inspect

        from .. import bivariate as B

        f = getattr(B, fn)
        seeded = "seed" in inspect.signature(f).parameters
        return f(_prisoners(ctx), **({"seed": ctx.seed} if seeded else {}))

    return compute


def _itself(r: Any, ctx: ReportContext) -> Any:
    """The section's result is the table."""
    return r


CH2_SATISFACTION = Section(
    "ch2_satisfaction",
    "ch2",
    _descriptive("satisfaction"),
    (table("ch2_satisfaction", _itself, _read_satisfaction),),
)


def _read_cooccurrence(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = ctx.visible(t).dropna(subset=["phi"])
    return dict(pos=int((vis["phi"] > 0).sum()), n=len(vis))


CH2_COOCCURRENCE = Section(
    "ch2_cooccurrence",
    "ch2",
    _descriptive("cooccurrence"),
    (table("ch2_cooccurrence", _itself, _read_cooccurrence),),
)


def _read_norms(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = (
        ctx.visible(t).dropna(subset=["gap"]).sort_values(["gap", "norm"], ascending=[False, True])
    )
    if not len(vis):
        return "–"
    top = vis.iloc[0]
    return dict(norm=ctx.label("policy_norms", top["norm"]), gap=pct(top["gap"]))


CH2_POLICY_NORMS = Section(
    "ch2_policy_norms",
    "ch2",
    _descriptive("policy_norm_gap"),
    (table("ch2_policy_norm_gap", _itself, _read_norms),),
)


# --------------------------------------------------------------------------------------------
# Chapter 3: needs versus contact (bivariate)
# --------------------------------------------------------------------------------------------
def _read_needs(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    sig = ctx.visible(t)
    sig = sig[sig["p_adjusted"] < 0.05]
    internal = sig[sig["type"].isin(load_codebook().internal_types)]
    matched = sig[sig["matched"].astype(bool)]
    return dict(
        sig=len(sig),
        n=len(t),
        matched=int((matched["odds_ratio"] > 1).sum()),
        internal=int((internal["odds_ratio"] < 1).sum()),
    )


def _forest(r: pd.DataFrame, ctx: ReportContext):
    from ..figures.bivariate import forest_plot

    return forest_plot(r, ctx.lang, threshold=ctx.threshold)


CH3_NEEDS_VS_CONTACT = Section(
    "ch3_needs_vs_contact",
    "ch3",
    _bivariate("needs_vs_contact"),
    (
        table("ch3_needs_vs_contact", _itself, _read_needs),
        figure(
            "ch3_needs_vs_contact_forest",
            _forest,
            lambda f, r, ctx: dict(),
        ),
    ),
)


def _no_contact(ctx: ReportContext) -> dict[str, pd.DataFrame]:
    from .. import bivariate as B

    p = _prisoners(ctx)
    return {
        "by_need": B.no_contact_by_need(p),
        "by_n": B.no_contact_by_n_needs(p, seed=ctx.seed),
    }


def _read_no_contact(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = (
        ctx.visible(t)
        .dropna(subset=["odds_ratio"])
        .sort_values(["odds_ratio", "need"], ascending=[False, True])
    )
    if not len(vis):
        return "–"
    need = vis.iloc[0]["need"]
    label = ctx.label("domains", need) if need != "complex_needs" else ctx.text("complex_needs")
    return dict(need=label)


def _read_no_contact_n(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = ctx.visible(t)
    rates = ", ".join(
        f"{g}: {pct(x)}" for g, x in zip(vis["needs_group"], vis["rate"], strict=True)
    )
    return dict(rates=rates or "–")


CH3_NO_CONTACT = Section(
    "ch3_no_contact",
    "ch3",
    _no_contact,
    (
        table("ch3_no_contact_by_need", lambda r, ctx: r["by_need"], _read_no_contact),
        table("ch3_no_contact_by_n_needs", lambda r, ctx: r["by_n"], _read_no_contact_n),
    ),
)


def _read_phase(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = ctx.visible(t)
    sig = sorted(
        set(vis.loc[vis["p_adjusted"] < 0.05, "type"]),
        key=list(load_codebook().professional_types).index,
    )
    names = ", ".join(ctx.label("professional_types", x) for x in sig) or "–"
    return dict(types=names)


CH3_CONTACT_BY_PHASE = Section(
    "ch3_contact_by_phase",
    "ch3",
    _bivariate("contact_by_phase"),
    (table("ch3_contact_by_phase", _itself, _read_phase),),
)


# --------------------------------------------------------------------------------------------
# Chapter 4 and its family extension: multilevel models
# --------------------------------------------------------------------------------------------
def _outcome_label(outcome: str, ctx: ReportContext) -> str:
    if outcome.startswith("contact_"):
        return ctx.label("professional_types", outcome.removeprefix("contact_"))
    # derived outcomes (any_video_calls, ...) are labelled from the variable they come from
    return term_label(outcome, ctx.lang)


def _ladder(ms: Any, terms: list[str], what_key: str, ctx: ReportContext) -> tuple[str, str]:
    """(ICC of the null models, which outcomes the institution terms relate to)."""
    table_, est = ms.table, ms.estimates
    null = table_[table_["model"] == "null"]
    iccs = ", ".join(
        f"{_outcome_label(o, ctx)}: {icc:.2f}"
        for o, icc in zip(null["outcome"], null["icc"], strict=True)
    )
    # An outcome is named only when its block of institution terms is significant by the
    # calibrated test (the parametric bootstrap LRT, lrt_test); single terms are read under it.
    inst = table_[table_["model"] == "institutional"]
    block_sig = set(inst.loc[inst["lrt_p_value"] < 0.05, "outcome"])
    test = str(inst["lrt_test"].iloc[0]) if "lrt_test" in inst and len(inst) else ""
    top = _holm_significant(est, terms, block_sig)
    signs = top.groupby("outcome", sort=True)["estimate"].agg(
        lambda e: "+" if (e > 0).all() else ("−" if (e < 0).all() else "+/−")
    )
    names = ", ".join(
        f"{_outcome_label(o, ctx)} ({signs.get(o, '')})".replace(" ()", "")
        for o in sorted(block_sig)
    )
    # What every outcome's data show, significant or not: the block p and the combined
    # direction (all institution terms one unit up: +1 SD of every score, every facility
    # present), so a non-significant block is reported with its estimate, not left out.
    inst_est = est[(est["model"] == "institutional") & est["term"].isin(terms)]
    blocks = []
    pen = inst["penalized"] if "penalized" in inst else pd.Series(False, index=inst.index)
    for o, p, penalized in zip(inst["outcome"], inst["lrt_p_value"], pen, strict=True):
        b = inst_est.loc[inst_est["outcome"] == o, "estimate"]
        if not len(b) or not np.isfinite(p):
            continue
        p_txt = f"{p:.2f}" if p >= 0.01 else f"{p:.3f}"
        label = _outcome_label(o, ctx)
        if bool(penalized):  # separation: the penalised estimates are not an effect size
            blocks.append(ctx.text("ladder_block_item_penalised", outcome=label, p=p_txt))
            continue
        blocks.append(
            ctx.text(
                "ladder_block_item",
                outcome=label,
                p=p_txt,
                odds_ratio=f"{np.exp(float(b.sum())):.2f}",
            )
        )
    n_groups = table_["n_groups"].max() if "n_groups" in table_ and len(table_) else np.nan
    terms_txt = ctx.text(
        "ladder_terms" if names else "ladder_terms_none",
        what=ctx.text(what_key),
        test=test,
        outcomes=names,
    )
    if blocks:
        terms_txt += " " + ctx.text(
            "ladder_blocks",
            unit=ctx.text(f"ladder_unit_{what_key}"),
            blocks="; ".join(blocks),
            n_groups=f"{n_groups:.0f}" if np.isfinite(n_groups) else "–",
        )
    return ctx.text("ladder_icc", iccs=iccs), terms_txt


def _holm_significant(est: pd.DataFrame, terms: list[str], outcomes: set[str]) -> pd.DataFrame:
    """Institution terms of the ``outcomes`` whose Holm-adjusted p is below 0.05.

    A single term is named only under a significant block, and then with the Holm adjustment
    over the block's terms: each term's test is calibrated on its own, so five of them read
    together would find a false effect in about one block in five.
    """
    inst = est[
        (est["model"] == "institutional") & est["term"].isin(terms) & est["outcome"].isin(outcomes)
    ]
    keep = []
    for _, rows in inst.groupby("outcome", sort=True):
        adjusted = adjust_pvalues(rows["p_value"].astype(float), "holm")
        keep += list(rows.index[adjusted < 0.05])
    return inst.loc[keep]


def _fit_notes(r: dict[str, Any], ctx: ReportContext) -> list[str]:
    notes = []
    for (outcome, model), m in r["ms"].models.items():
        if getattr(m, "singular", False):
            notes.append(ctx.text("singular_fit", outcome=outcome, model=model))
        conv = getattr(m, "convergence", None)
        if conv is not None and getattr(conv, "converged", True) is False:
            notes.append(ctx.text("not_converged", outcome=outcome, model=model))
    return notes


def _ladder_models(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The row account of every model of the ladder (prisoners read -> subgroup -> used)."""
    return models_from_accounting(r["ms"].accounting)


def _comparison(r: dict[str, Any], ctx: ReportContext) -> pd.DataFrame:
    """The model-comparison table with ``nobs`` named ``n_obs``: a count of prisoners."""
    return r["ms"].table.rename(columns={"nobs": "n_obs"})


#: The ladders of the report: section -> (its institution-level terms, from the codebook; the
#: text key naming them in its readings).
LADDERS: dict[str, tuple[Callable[[Any], tuple[str, ...]], str]] = {
    "ch4_facilitation": (lambda cb: cb.facilitation_scores, "institution_scores"),
    "family_multilevel": (lambda cb: cb.family_facilities, "family_facilities"),
}


def ladder_readings(ms: Any, section: str, ctx: ReportContext) -> tuple[str, str]:
    """The two readings of the model ladder ``ms`` of ``section`` (a key of :data:`LADDERS`):
    the intraclass correlations of the null models (the model-comparison table's reading) and
    which outcomes the institution terms relate to (the estimates' and odds-ratio figure's)."""
    terms, what_key = LADDERS[section]
    return _ladder(ms, list(terms(load_codebook())), what_key, ctx)


def _facilitation(ctx: ReportContext) -> dict[str, Any]:
    from .. import multilevel as M

    cb = load_codebook()
    prof = ctx.inputs.table("professionals")
    # The score columns carry codebook variable names, which the disclosure rules treat as
    # grouping keys (never suppressed); as means over raters they are statistics, so rename.
    scores = M.institution_scores(prof).rename(
        columns={s: f"mean_{s}" for s in cb.facilitation_scores}
    )
    ms = M.facilitation_models(
        _prisoners(ctx), prof, backend=ctx.backend, **_ML_TESTS, seed=ctx.seed
    )
    r = {"agg": M.aggregation_stats(prof), "scores": scores, "ms": ms}
    r["readings"] = ladder_readings(ms, "ch4_facilitation", ctx)
    r["institutional"] = ms.estimates[ms.estimates["model"] == "institutional"]
    return r


def _read_aggregation(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    top = ctx.visible(t).sort_values(["icc1", "score"], ascending=[False, True])
    if not len(top):
        return "–"
    return dict(
        score=ctx.label("facilitation_scores", top.iloc[0]["score"]),
        icc=f"{top.iloc[0]['icc1']:.2f}",
    )


def _odds_ratios(r: dict[str, Any], ctx: ReportContext):
    from ..figures.multilevel import odds_ratio_forest

    return odds_ratio_forest(r["institutional"], group="outcome", lang=ctx.lang)


def _probation_effects(r: dict[str, Any], ctx: ReportContext):
    """Institution effects of institutions with at least ``threshold`` prisoners only: the
    effect of a small institution is a statistic of a small group."""
    from ..figures.multilevel import caterpillar

    model = r["ms"].models.get(("contact_probation", "institutional"))
    if model is None:
        return None
    re = model.ranef
    sizes = ctx.inputs.prisoners["institution_id"].value_counts()
    big = set(sizes[sizes >= ctx.threshold].index.astype(str))
    return caterpillar(re[re["level"].astype(str).isin(big)], odds_ratio=True, lang=ctx.lang)


CH4_FACILITATION = Section(
    "ch4_facilitation",
    "ch4",
    _facilitation,
    (
        table("ch4_aggregation", lambda r, ctx: r["agg"], _read_aggregation),
        table(
            "ch4_institution_scores",
            lambda r, ctx: r["scores"],
            lambda t, r, ctx: dict(n=len(ctx.visible(t)), threshold=ctx.threshold),
        ),
        table(
            "ch4_model_comparison",
            _comparison,
            lambda t, r, ctx: r["readings"][0],
            reading_from="section",
        ),
        table(
            "ch4_estimates",
            lambda r, ctx: r["ms"].estimates,
            lambda t, r, ctx: r["readings"][1],
            reading_from="section",
        ),
        figure(
            "ch4_odds_ratios",
            _odds_ratios,
            lambda f, r, ctx: r["readings"][1],
            reading_from="section",
        ),
        figure(
            "ch4_institution_effects_probation",
            _probation_effects,
            lambda f, r, ctx: dict(),
        ),
    ),
    models=_ladder_models,
    notes=_fit_notes,
)


#: The report's tests of institution-level terms: the block of them by the parametric bootstrap
#: LRT (4.7% of 600 null block tests on 200 twins, benchmarks/README.md), single terms by the
#: parametric bootstrap-t on the same replicates (each term's Wald t against its distribution
#: under the block null; within 3.5%-6.5% on 200 twins, benchmarks/README.md "Calibration").
#: The plain Wald t rejected 9.1% of 3,000 null tests, the Wald t gatekept by the block 1.9-2.4%;
#: a per-term bootstrap LRT would cost 5-6 more bootstraps per outcome, the bootstrap-t none.
#: 199 replicates keep the report's run time in seconds.
_ML_TESTS: dict[str, Any] = {"term_test": "bootstrap-t", "block_test": "bootstrap", "nsim": 199}


def _run_family_ml(
    prisoners: pd.DataFrame, institutions: pd.DataFrame, backend: str, seed: int
) -> Any:
    from .. import multilevel as M

    return M.family_models(prisoners, institutions, backend=backend, **_ML_TESTS, seed=seed)


def _family_ml_args(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame, str, int]:
    return _prisoners(ctx), ctx.inputs.table("institutions"), ctx.backend, ctx.seed


def _start_family_ml(ctx: ReportContext) -> None:
    """The family models' bootstraps are a third of the report's work and need nothing from
    the other sections: they run in the worker process (after chapter 5) while the other
    sections run in this one (when the run has a worker). Their figure is drawn here: the
    worker has chapter 5's figures to draw, this process has time while it waits."""
    ctx.start("family_models", _run_family_ml, *_family_ml_args(ctx))


def _family_ml(ctx: ReportContext) -> dict[str, Any]:
    ms = ctx.cached("family_models", lambda: _run_family_ml(*_family_ml_args(ctx)))
    r: dict[str, Any] = {"ms": ms}
    r["readings"] = ladder_readings(ms, "family_multilevel", ctx)
    r["institutional"] = ms.estimates[ms.estimates["model"] == "institutional"]
    return r


FAMILY_MULTILEVEL = Section(
    "family_multilevel",
    "family",
    _family_ml,
    (
        table(
            "family_ml_model_comparison",
            _comparison,
            lambda t, r, ctx: r["readings"][0],
            reading_from="section",
        ),
        table(
            "family_ml_estimates",
            lambda r, ctx: r["ms"].estimates,
            lambda t, r, ctx: r["readings"][1],
            reading_from="section",
        ),
        figure(
            "family_ml_odds_ratios",
            _odds_ratios,
            lambda f, r, ctx: r["readings"][1],
            reading_from="section",
        ),
    ),
    models=_ladder_models,
    notes=_fit_notes,
    prefetch=_start_family_ml,
)


# --------------------------------------------------------------------------------------------
# Chapter 5 and its family extension: one call of multivariate.chapter5, shared
# --------------------------------------------------------------------------------------------
def _run_chapter5(prisoners: pd.DataFrame, backend: str, seed: int) -> dict[str, pd.DataFrame]:
    from .. import multivariate as MV

    return MV.chapter5(prisoners, mixed_backend=backend, seed=seed)


def _chapter5(ctx: ReportContext) -> dict[str, pd.DataFrame]:
    return ctx.cached(
        "chapter5", lambda: _run_chapter5(ctx.inputs.prisoners, ctx.backend, ctx.seed)
    )


def _start_chapter5(ctx: ReportContext) -> None:
    """Chapter 5 is half of the report's work and needs nothing from the other sections:
    it runs in a worker process while they run (when the run has one), and its figures are
    drawn there too."""
    ctx.start(
        "chapter5",
        _run_chapter5,
        ctx.inputs.prisoners,
        ctx.backend,
        ctx.seed,
        figures_of=CH5_PREPAREDNESS,
    )


def _start_chapter5_results(ctx: ReportContext) -> None:
    """Chapter 5's results for a section that publishes a part of them (no figures)."""
    ctx.start("chapter5", _run_chapter5, ctx.inputs.prisoners, ctx.backend, ctx.seed)


class _Part:
    """compute: the chapter-5 result ``key`` (None when chapter5 did not produce it)."""

    def __init__(self, key: str):
        self.key = key

    def __call__(self, r: dict[str, pd.DataFrame], ctx: ReportContext) -> pd.DataFrame | None:
        return r.get(self.key)


def _read_sample(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    if not {"reason", "n"} <= set(t.columns):
        return None
    n = dict(zip(t["reason"], t["n"], strict=True))
    if "analysis_sample" not in n:
        return None
    return dict(n=int(n["analysis_sample"]), n_input=int(n.get("input_rows", 0)))


def _read_reliability(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    vis = ctx.visible(t.drop(columns=["n_items"], errors="ignore"))
    if not len(vis) or "alpha" not in t:
        return None
    row = vis.iloc[0]
    return dict(alpha=f"{row['alpha']:.2f}", omega=f"{row.get('omega', np.nan):.2f}")


def _read_ols(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    vis = ctx.visible(t)
    parts = []
    for term, side in (("sat_int_c", "internal"), ("sat_ext_c", "external")):
        hit = vis[(vis["outcome"] == "prep_overall") & (vis["term"] == term)]
        if len(hit):
            c = hit.iloc[0]
            parts.append(
                ctx.text(
                    "ch5_ols_part",
                    side=ctx.text(side),
                    b=f"{c['estimate']:.3f}",
                    p=f"{c['p_value']:.3g}",
                )
            )
    return dict(parts="; ".join(parts)) if parts else None


def _read_contrast(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    if not {"estimate", "p_value"} <= set(t.columns):
        return None
    vis = ctx.visible(t)
    k = int(((vis["estimate"] > 0) & (vis["p_value"] < 0.05)).sum())
    return dict(k=k, n=len(vis))


def _read_robustness(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    if "same_sign" not in t:
        return None
    vis = ctx.visible(t)
    return dict(k=int(vis["same_sign"].astype(bool).sum()), n=len(vis))


def _read_sur_tests(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    if not {"test", "p_value"} <= set(t.columns):
        return None
    vis = ctx.visible(t)
    tests = "; ".join(f"{h}: p = {p:.3g}" for h, p in zip(vis["test"], vis["p_value"], strict=True))
    return dict(tests=tests)


def _read_problems(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    return ctx.text("ch5_problems_none") if t.empty else dict(n=len(t))


def _predicted_figure(which: str):
    """The predicted-preparedness figure of the overall scale or of the domains."""

    def draw(r: dict[str, pd.DataFrame], ctx: ReportContext):
        from ..figures.multivariate import interaction_plot

        pred = r.get("predicted")
        if pred is None or pred.empty:
            return None
        pred = ctx.visible(pred)
        outcomes = list(dict.fromkeys(pred["outcome"]))
        chosen = (
            [o for o in outcomes if o == "prep_overall"]
            if which == "overall"
            else [o for o in outcomes if o != "prep_overall"]
        )
        return interaction_plot(pred, chosen, lang=ctx.lang) if chosen else None

    return draw


def _ch5_rows(r: dict[str, pd.DataFrame], tables: list[pd.DataFrame]) -> tuple[int | None, dict]:
    sample = r.get("sample")
    if sample is None or not {"reason", "n"} <= set(sample.columns):
        return None, {}
    n = dict(zip(sample["reason"], sample["n"], strict=True))
    used = int(n["analysis_sample"]) if "analysis_sample" in n else None
    return used, {
        str(k): int(v) for k, v in n.items() if k not in ("input_rows", "analysis_sample")
    }


#: chapter5 results published by another section (the family models) or in the manifest
#: (the row account of every model and the collapsed categories).
_CH5_ELSEWHERE = ("family", "accounting", "collapsed")


def _ch5_notes(r: dict[str, pd.DataFrame], ctx: ReportContext) -> list[str]:
    """A chapter-5 result the spec does not publish is named, never dropped silently."""
    spec = {o.compute.key for o in CH5_PREPAREDNESS.outputs if isinstance(o.compute, _Part)}
    merged = r.get("collapsed")
    notes = (
        _collapsed_notes(
            dict(zip(merged["variable"], merged["levels"], strict=True)), ctx, "collapsed_ch5"
        )
        if merged is not None and len(merged)
        else []
    )
    return notes + [
        f"chapter5 result {k!r} is not in the report spec"
        for k in r
        if k not in spec and k not in _CH5_ELSEWHERE
    ]


CH5_PREPAREDNESS = Section(
    "ch5_preparedness",
    "ch5",
    _chapter5,
    (
        table("ch5_sample", _Part("sample"), _read_sample),
        table("ch5_reliability", _Part("reliability"), _read_reliability, not_counts=("n_items",)),
        table("ch5_ols", _Part("ols"), _read_ols),
        table("ch5_standardized", _Part("standardized")),
        table("ch5_marginal_effects", _Part("marginal_effects")),
        table("ch5_support_contrast", _Part("support_contrast"), _read_contrast),
        table(
            "ch5_predicted",
            _Part("predicted"),
            lambda t, r, ctx: dict(),
        ),
        table("ch5_mixed", _Part("mixed")),
        table("ch5_sur", _Part("sur")),
        table("ch5_sur_tests", _Part("sur_tests"), _read_sur_tests),
        table("ch5_ordinal", _Part("ordinal")),
        table("ch5_robustness", _Part("robustness"), _read_robustness),
        table("ch5_problems", _Part("problems"), _read_problems),
        figure(
            "ch5_predicted_overall",
            _predicted_figure("overall"),
            lambda f, r, ctx: dict(),
        ),
        figure(
            "ch5_predicted_domains",
            _predicted_figure("domains"),
            lambda f, r, ctx: dict(),
        ),
    ),
    rows=_ch5_rows,
    models=lambda r: models_from_accounting(r.get("accounting")),
    notes=_ch5_notes,
    prefetch=_start_chapter5,
)


def _family_prep(ctx: ReportContext) -> pd.DataFrame:
    res = _chapter5(ctx)
    if "family" in res:
        return res["family"]
    from ..multivariate import family_models  # chapter5 without its family part

    return family_models(ctx.inputs.prisoners)


def _read_family_prep(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str | None:
    vis = ctx.visible(t)
    if not {"outcome", "term", "p_value"} <= set(vis.columns):
        return None
    sig = vis[(vis["p_value"] < 0.05) & (vis["term"] != "Intercept")]
    sn = sig[sig["outcome"] == "prep_social_network"]
    return dict(terms=", ".join(sorted(set(sn["term"]))) or ctx.text("none"))


FAMILY_PREPAREDNESS = Section(
    "family_preparedness",
    "family",
    _family_prep,
    (table("family_prep_models", _itself, _read_family_prep),),
    models=lambda t: [
        {"outcome": a["outcome"], "model": a["model"], "reasons": list(a["reasons"])}
        for a in t.attrs.get("accounting", [])
    ],
    prefetch=_start_chapter5_results,
)


# --------------------------------------------------------------------------------------------
# Family-contact extension: rates and bivariate
# --------------------------------------------------------------------------------------------
def _family_rates(ctx: ReportContext) -> dict[str, pd.DataFrame]:
    from .. import descriptives as D

    p = _prisoners(ctx)
    return {
        "overall": D.family_contact_rates(p, **_RATE_CI),
        "by_regime": D.family_contact_rates(p, by="regime", **_RATE_CI),
        "by_phase": D.family_contact_rates(p, by="phase", **_RATE_CI),
    }


def _read_family_rates(t: pd.DataFrame, r: Any, ctx: ReportContext) -> Fields | str:
    vis = (
        ctx.visible(t)
        .dropna(subset=["rate"])
        .sort_values(["rate", "measure"], ascending=[False, True])
    )
    if not len(vis):
        return "–"
    top = vis.iloc[0]
    what = (
        load_codebook().label(str(top["variable"]), ctx.lang)
        if "variable" in top
        else top["measure"]
    )
    return dict(what=what, rate=pct(top["rate"]))


def _family_figure(t: pd.DataFrame, ctx: ReportContext):
    from ..figures.descriptives import family_contact_figure

    return family_contact_figure(t, ctx.lang, threshold=ctx.threshold)


FAMILY_RATES = Section(
    "family_rates",
    "family",
    _family_rates,
    (
        table("family_contact_rates", lambda r, ctx: r["overall"], _read_family_rates),
        table(
            "family_contact_rates_by_regime",
            lambda r, ctx: r["by_regime"],
            lambda t, r, ctx: dict(),
            figure=_family_figure,
        ),
        table(
            "family_contact_rates_by_phase",
            lambda r, ctx: r["by_phase"],
            lambda t, r, ctx: dict(),
        ),
    ),
)


def _family_bivariate(ctx: ReportContext) -> dict[str, pd.DataFrame]:
    from .. import bivariate as B

    p = _prisoners(ctx)
    return {"kids": B.family_by_children(p), "needs": B.family_by_needs(p)}


def _n_significant(t: pd.DataFrame, r: Any, ctx: ReportContext) -> dict[str, int]:
    """Fields of a reading counting the significant (adjusted p < 0.05) visible rows."""
    return {"k": int((ctx.visible(t)["p_adjusted"] < 0.05).sum()), "n": len(t)}


FAMILY_BIVARIATE = Section(
    "family_bivariate",
    "family",
    _family_bivariate,
    (
        table("family_by_children", lambda r, ctx: r["kids"], _n_significant),
        table("family_by_needs", lambda r, ctx: r["needs"], _n_significant),
    ),
)


#: The report, in order: data, chapters 2-5, then the family-contact extension.
SECTIONS: tuple[Section, ...] = (
    DATA,
    CH2_CONTACT_RATES,
    CH2_SATISFACTION,
    CH2_COOCCURRENCE,
    CH2_POLICY_NORMS,
    CH3_NEEDS_VS_CONTACT,
    CH3_NO_CONTACT,
    CH3_CONTACT_BY_PHASE,
    CH4_FACILITATION,
    CH5_PREPAREDNESS,
    FAMILY_RATES,
    FAMILY_BIVARIATE,
    FAMILY_MULTILEVEL,
    FAMILY_PREPAREDNESS,
)

#: The step registry (name -> runner Step), in report order.
STEPS = steps_of(SECTIONS)
