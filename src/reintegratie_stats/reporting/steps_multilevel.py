"""Report steps of chapter 4 (multilevel models of institutional facilitation) and of its
family extension (institutional family facilities and family contact)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..schema import load_codebook
from .runner import ReportContext, StepOutput
from .steps import _label, _prisoners, _say, register, visible

__all__ = ["ch4_facilitation", "family_multilevel"]


def _safe_ranef(model: Any, ctx: ReportContext) -> pd.DataFrame:
    """Institution effects of institutions with at least ``threshold`` prisoners only: the
    effect of a small institution is a statistic of a small group."""
    re = model.ranef
    sizes = ctx.inputs.prisoners["institution_id"].value_counts()
    big = set(sizes[sizes >= ctx.threshold].index.astype(str))
    return re[re["level"].astype(str).isin(big)]


def _outcome_label(outcome: str, ctx: ReportContext) -> str:
    if outcome.startswith("contact_"):
        return _label("professional_types", outcome.removeprefix("contact_"), ctx)
    try:
        return load_codebook().label(outcome, ctx.lang)
    except KeyError:
        return outcome


def _ladder_readings(ms: Any, terms: list[str], what: str, ctx: ReportContext) -> tuple[str, str]:
    """(ICC of the null models, which outcomes the institution terms relate to)."""
    table, est = ms.table, ms.estimates
    null = table[table["model"] == "null"]
    iccs = ", ".join(
        f"{_outcome_label(o, ctx)}: {icc:.2f}"
        for o, icc in zip(null["outcome"], null["icc"], strict=True)
    )
    top = est[(est["model"] == "institutional") & est["term"].isin(terms) & (est["p_value"] < 0.05)]
    signs = top.groupby("outcome", sort=True)["estimate"].agg(
        lambda e: "+" if (e > 0).all() else ("−" if (e < 0).all() else "+/−")
    )
    names = ", ".join(f"{_outcome_label(o, ctx)} ({sg})" for o, sg in signs.items())
    names = names or _say(ctx, "none of the outcomes", "geen van de uitkomsten")
    return (
        _say(
            ctx,
            f"Intraclass correlation of the null models: {iccs}.",
            f"Intraclasscorrelatie van de nulmodellen: {iccs}.",
        ),
        _say(
            ctx,
            f"{what} are significantly related (p < 0.05) to: {names}.",
            f"{what} hangen significant samen (p < 0,05) met: {names}.",
        ),
    )


def _fit_notes(ms: Any) -> list[str]:
    notes = []
    for (outcome, model), m in ms.models.items():
        if getattr(m, "singular", False):
            notes.append(f"{outcome} / {model}: singular fit (institution variance at zero).")
        conv = getattr(m, "convergence", None)
        if conv is not None and getattr(conv, "converged", True) is False:
            notes.append(f"{outcome} / {model}: the optimiser did not converge cleanly.")
    return notes


def _comparison(ms: Any) -> pd.DataFrame:
    """The model-comparison table with ``nobs`` named ``n_obs``: a count of prisoners, so the
    disclosure rules and the number format treat it as one."""
    return ms.table.rename(columns={"nobs": "n_obs"})


def _rows(ms: Any) -> tuple[int | None, dict[str, int]]:
    if not len(ms.table):
        return None, {}
    return int(ms.table["nobs"].max()), {
        "missing model variable (largest over models)": int(ms.table["n_excluded"].max())
    }


@register(
    "ch4_facilitation",
    "ch4",
    "Institutional facilitation and contact (multilevel)",
    "Facilitering door de inrichting en contact (multilevel)",
    "multilevel",
)
def ch4_facilitation(ctx: ReportContext) -> StepOutput:
    from .. import multilevel as M
    from ..figures import multilevel as FM

    cb = load_codebook()
    prof = ctx.inputs.table("professionals")
    agg = M.aggregation_stats(prof)
    # The score columns carry codebook variable names, which the disclosure rules treat as
    # grouping keys (never suppressed); as means over raters they are statistics, so rename.
    scores = M.institution_scores(prof)
    scores = scores.rename(columns={s: f"mean_{s}" for s in cb.facilitation_scores})
    ms = M.facilitation_models(_prisoners(ctx), prof, backend=ctx.backend)
    what = _say(ctx, "Institution scores", "Inrichtingsscores")
    r_null, r_inst = _ladder_readings(ms, list(cb.facilitation_scores), what, ctx)
    inst = ms.estimates[ms.estimates["model"] == "institutional"]
    figures = {"ch4_odds_ratios": FM.odds_ratio_forest(inst, group="outcome")}
    key = ("contact_probation", "institutional")
    if key in ms.models:
        figures["ch4_institution_effects_probation"] = FM.caterpillar(
            _safe_ranef(ms.models[key], ctx), odds_ratio=True
        )
    top = visible(agg, ctx.threshold).sort_values(["icc1", "score"], ascending=[False, True])
    if len(top):
        s, icc = _label("facilitation_scores", top.iloc[0]["score"], ctx), top.iloc[0]["icc1"]
        r_agg = _say(
            ctx,
            f"Institutions differ most on {s} (ICC1 = {icc:.2f}).",
            f"Inrichtingen verschillen het meest in {s} (ICC1 = {icc:.2f}).",
        )
    else:
        r_agg = "–"
    n_scored = len(visible(scores, ctx.threshold))
    used, excl = _rows(ms)
    return StepOutput(
        tables={
            "ch4_aggregation": agg,
            "ch4_institution_scores": scores,
            "ch4_model_comparison": _comparison(ms),
            "ch4_estimates": ms.estimates,
        },
        figures=figures,
        readings={
            "ch4_aggregation": r_agg,
            "ch4_institution_scores": _say(
                ctx,
                f"{n_scored} institutions have every score from at least {ctx.threshold} raters; "
                "scores from fewer raters are suppressed.",
                f"{n_scored} inrichtingen hebben elke score van minstens {ctx.threshold} "
                "beoordelaars; scores van minder beoordelaars zijn onderdrukt.",
            ),
            "ch4_model_comparison": r_null,
            "ch4_estimates": r_inst,
            "ch4_odds_ratios": r_inst,
            "ch4_institution_effects_probation": _say(
                ctx,
                "Institution effects on probation contact (institutions with enough prisoners).",
                "Inrichtingseffecten op contact met de reclassering (inrichtingen met genoeg "
                "gedetineerden).",
            ),
        },
        captions={
            "ch4_aggregation": _say(
                ctx,
                "Agreement of professionals within institutions",
                "Overeenstemming van professionals binnen inrichtingen",
            ),
            "ch4_institution_scores": _say(
                ctx, "Institution facilitation scores", "Faciliteringsscores per inrichting"
            ),
            "ch4_model_comparison": _say(
                ctx,
                "Null, individual and institutional models",
                "Nul-, individuele en inrichtingsmodellen",
            ),
            "ch4_estimates": _say(
                ctx,
                "Estimates (log-odds and odds ratios)",
                "Schattingen (log-odds en odds ratio's)",
            ),
            "ch4_odds_ratios": _say(
                ctx,
                "Odds ratios of the institutional models",
                "Odds ratio's van de inrichtingsmodellen",
            ),
            "ch4_institution_effects_probation": _say(
                ctx,
                "Institution effects, probation contact",
                "Inrichtingseffecten, contact met reclassering",
            ),
        },
        rows_used=used,
        rows_excluded=excl,
        notes=_fit_notes(ms),
    )


@register(
    "family_multilevel",
    "family",
    "Family facilities and family contact (multilevel)",
    "Gezinsvoorzieningen en familiecontact (multilevel)",
    "multilevel",
)
def family_multilevel(ctx: ReportContext) -> StepOutput:
    from .. import multilevel as M
    from ..figures import multilevel as FM

    cb = load_codebook()
    ms = M.family_models(_prisoners(ctx), ctx.inputs.table("institutions"), backend=ctx.backend)
    what = _say(ctx, "Family facilities", "Gezinsvoorzieningen")
    r_null, r_inst = _ladder_readings(ms, list(cb.family_facilities), what, ctx)
    inst = ms.estimates[ms.estimates["model"] == "institutional"]
    used, excl = _rows(ms)
    return StepOutput(
        tables={"family_ml_model_comparison": _comparison(ms), "family_ml_estimates": ms.estimates},
        figures={"family_ml_odds_ratios": FM.odds_ratio_forest(inst, group="outcome")},
        readings={
            "family_ml_model_comparison": r_null,
            "family_ml_estimates": r_inst,
            "family_ml_odds_ratios": r_inst,
        },
        captions={
            "family_ml_model_comparison": _say(
                ctx,
                "Family contact of parents: null, individual and institutional models",
                "Familiecontact van ouders: nul-, individuele en inrichtingsmodellen",
            ),
            "family_ml_estimates": _say(
                ctx,
                "Estimates (log-odds and odds ratios)",
                "Schattingen (log-odds en odds ratio's)",
            ),
            "family_ml_odds_ratios": _say(
                ctx,
                "Odds ratios of the family facilities",
                "Odds ratio's van de gezinsvoorzieningen",
            ),
        },
        rows_used=used,
        rows_excluded=excl,
        notes=_fit_notes(ms),
    )
