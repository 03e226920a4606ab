"""Report steps of chapter 5 (satisfaction with support versus preparedness for release) and
of its family extension (family contact and preparedness).

Both come from one call of :func:`reintegratie_stats.multivariate.chapter5`, computed once per
run and shared through the context cache.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .runner import ReportContext, StepOutput
from .steps import _generic, _say, register, visible

__all__ = ["ch5_preparedness", "family_preparedness"]

#: Tables of ``chapter5`` in report order with their captions (en, nl); others follow.
CH5_TABLES: dict[str, tuple[str, str]] = {
    "sample": (
        "Analysis sample: soon-to-be-released prisoners",
        "Analysesteekproef: binnenkort vrijkomende gedetineerden",
    ),
    "reliability": (
        "Reliability of the preparedness scale",
        "Betrouwbaarheid van de schaal voorbereiding",
    ),
    "ols": (
        "Preparedness on satisfaction and instrumental support (OLS, cluster-robust)",
        "Voorbereiding op tevredenheid en instrumentele steun (OLS, clusterrobuust)",
    ),
    "standardized": ("Standardised coefficients", "Gestandaardiseerde coëfficiënten"),
    "marginal_effects": (
        "Average marginal effects by prior need",
        "Gemiddelde marginale effecten naar probleem voor detentie",
    ),
    "support_contrast": (
        "External minus internal instrumental support",
        "Externe min interne instrumentele steun",
    ),
    "predicted": ("Predicted preparedness", "Voorspelde voorbereiding"),
    "mixed": ("Random-intercept models (institutions)", "Random-interceptmodellen (inrichtingen)"),
    "sur": (
        "Seemingly unrelated regressions over the domains",
        "Seemingly unrelated regressions over de leefgebieden",
    ),
    "sur_tests": ("Cross-equation tests", "Toetsen over de vergelijkingen heen"),
    "ordinal": ("Ordinal logit (robustness)", "Ordinale logit (robuustheid)"),
    "robustness": ("OLS versus ordinal logit", "OLS tegenover ordinale logit"),
    "problems": ("Models that could not be fitted", "Modellen die niet te schatten waren"),
}


def _chapter5(ctx: ReportContext) -> dict[str, pd.DataFrame]:
    from .. import multivariate as MV

    return ctx.cached(
        "chapter5", lambda: MV.chapter5(ctx.inputs.prisoners, mixed_backend=ctx.backend)
    )


def _coef(tab: pd.DataFrame, outcome: str, term: str) -> Any:
    hit = tab[(tab["outcome"] == outcome) & (tab["term"] == term)]
    return None if hit.empty else hit.iloc[0]


def _readings(res: dict[str, pd.DataFrame], ctx: ReportContext) -> dict[str, str]:
    out: dict[str, str] = {}
    sample = res.get("sample")
    if sample is not None and {"reason", "n"} <= set(sample.columns):
        n = dict(zip(sample["reason"], sample["n"], strict=True))
        if "analysis_sample" in n:
            out["ch5_sample"] = _say(
                ctx,
                f"{int(n['analysis_sample'])} of {int(n.get('input_rows', 0))} prisoners are "
                "expected to be released within three months: the chapter's sample.",
                f"{int(n['analysis_sample'])} van {int(n.get('input_rows', 0))} gedetineerden "
                "komen naar verwachting binnen drie maanden vrij: de steekproef van dit hoofdstuk.",
            )
    rel = res.get("reliability")
    rel = None if rel is None else rel.drop(columns=["n_items"], errors="ignore")
    if rel is not None and len(visible(rel, ctx.threshold)) and "alpha" in rel:
        r = visible(rel, ctx.threshold).iloc[0]
        out["ch5_reliability"] = _say(
            ctx,
            f"Cronbach's alpha {r['alpha']:.2f}, omega {r.get('omega', float('nan')):.2f}.",
            f"Cronbachs alfa {r['alpha']:.2f}, omega {r.get('omega', float('nan')):.2f}.",
        )
    ols = res.get("ols")
    if ols is not None:
        parts = []
        for term, en, nl in (
            ("sat_int_c", "internal", "interne"),
            ("sat_ext_c", "external", "externe"),
        ):
            c = _coef(visible(ols, ctx.threshold), "prep_overall", term)
            if c is not None:
                parts.append((en, nl, c["estimate"], c["p_value"]))
        if parts:
            en = "; ".join(f"{a} b = {b:.3f} (p = {p:.3g})" for a, _, b, p in parts)
            nl = "; ".join(f"{a} b = {b:.3f} (p = {p:.3g})" for _, a, b, p in parts)
            out["ch5_ols"] = _say(
                ctx,
                f"Overall preparedness on general satisfaction with professionals: {en}.",
                f"Algemene voorbereiding op tevredenheid met professionals: {nl}.",
            )
    con = res.get("support_contrast")
    if con is not None and {"estimate", "p_value"} <= set(con.columns):
        vis = visible(con, ctx.threshold)
        k = int(((vis["estimate"] > 0) & (vis["p_value"] < 0.05)).sum())
        out["ch5_support_contrast"] = _say(
            ctx,
            f"Instrumental support from external professionals has a significantly larger "
            f"effect than from internal ones in {k} of {len(vis)} outcome-by-need groups.",
            f"Instrumentele steun van externe professionals heeft in {k} van {len(vis)} "
            "groepen (uitkomst x probleem) een significant groter effect dan van interne.",
        )
    pred = res.get("predicted")
    if pred is not None:
        out["ch5_predicted"] = _say(
            ctx,
            "Predicted preparedness (1-5) at each level (1-5) of satisfaction with "
            "support, by side (internal/external) and prior need.",
            "Voorspelde voorbereiding (1-5) bij elk niveau (1-5) van tevredenheid met steun, "
            "naar kant (intern/extern) en probleem voor detentie.",
        )
    rob = res.get("robustness")
    if rob is not None and "same_sign" in rob:
        vis = visible(rob, ctx.threshold)
        k = int(vis["same_sign"].astype(bool).sum())
        out["ch5_robustness"] = _say(
            ctx,
            f"OLS and the ordinal logit agree in sign for {k} of {len(vis)} terms.",
            f"OLS en de ordinale logit hebben hetzelfde teken voor {k} van {len(vis)} termen.",
        )
    tests = res.get("sur_tests")
    if tests is not None and {"test", "p_value"} <= set(tests.columns):
        vis = visible(tests, ctx.threshold)
        txt = "; ".join(
            f"{h}: p = {p:.3g}" for h, p in zip(vis["test"], vis["p_value"], strict=True)
        )
        out["ch5_sur_tests"] = _say(
            ctx,
            f"Cross-equation Wald tests: {txt}.",
            f"Wald-toetsen over de vergelijkingen: {txt}.",
        )
    probs = res.get("problems")
    if probs is not None:
        out["ch5_problems"] = (
            _say(
                ctx,
                "Every model of the chapter could be fitted.",
                "Elk model van het hoofdstuk kon worden geschat.",
            )
            if probs.empty
            else _say(
                ctx,
                f"{len(probs)} model(s) could not be fitted; the rest of the chapter "
                "still ran (see the messages).",
                f"{len(probs)} model(len) kon(den) niet worden geschat; de rest van het "
                "hoofdstuk is wel uitgevoerd (zie de meldingen).",
            )
        )
    return out


def _figures(res: dict[str, pd.DataFrame], ctx: ReportContext) -> tuple[dict, dict, dict]:
    """Predicted preparedness by support level and prior need (overall, and per domain)."""
    from ..figures.multivariate import interaction_plot

    pred = res.get("predicted")
    if pred is None or pred.empty:
        return {}, {}, {}
    pred = visible(pred, ctx.threshold)
    figs, readings, captions = {}, {}, {}
    outcomes = list(dict.fromkeys(pred["outcome"]))
    if "prep_overall" in outcomes:
        figs["ch5_predicted_overall"] = interaction_plot(pred, ["prep_overall"], lang=ctx.lang)
        readings["ch5_predicted_overall"] = _say(
            ctx,
            "Overall preparedness rises with satisfaction with instrumental support; "
            "compare the slopes with and without a prior need.",
            "Algemene voorbereiding stijgt met tevredenheid over instrumentele steun; vergelijk "
            "de hellingen met en zonder probleem voor detentie.",
        )
        captions["ch5_predicted_overall"] = _say(
            ctx, "Predicted overall preparedness", "Voorspelde algemene voorbereiding"
        )
    domains = [o for o in outcomes if o != "prep_overall"]
    if domains:
        figs["ch5_predicted_domains"] = interaction_plot(pred, domains, lang=ctx.lang)
        readings["ch5_predicted_domains"] = _say(
            ctx,
            "Per domain: predicted preparedness by satisfaction with internal and external "
            "instrumental support.",
            "Per leefgebied: voorspelde voorbereiding naar tevredenheid over interne en externe "
            "instrumentele steun.",
        )
        captions["ch5_predicted_domains"] = _say(
            ctx, "Predicted preparedness per domain", "Voorspelde voorbereiding per leefgebied"
        )
    return figs, readings, captions


@register(
    "ch5_preparedness",
    "ch5",
    "Satisfaction with support and preparedness",
    "Tevredenheid met ondersteuning en voorbereiding",
    "multivariate",
)
def ch5_preparedness(ctx: ReportContext) -> StepOutput:
    res = {k: v for k, v in _chapter5(ctx).items() if k != "family"}
    ordered = {k: res[k] for k in CH5_TABLES if k in res}
    ordered.update({k: v for k, v in res.items() if k not in ordered})
    out = _generic("ch5", ordered, ctx)
    out.readings.update(_readings(res, ctx))
    lang = 1 if ctx.lang == "nl" else 0
    out.captions = {f"ch5_{k}": v[lang] for k, v in CH5_TABLES.items() if k in res}
    figs, fig_readings, fig_captions = _figures(res, ctx)
    out.figures.update(figs)
    out.readings.update(fig_readings)
    out.captions.update(fig_captions)
    if "reliability" in res:  # n_items counts scale items, not people
        rel = res["reliability"]
        out.count_cols["ch5_reliability"] = [
            c for c in rel.columns if c != "n_items" and (c == "n" or c.startswith("n_"))
        ]
    sample = res.get("sample")
    if sample is not None and {"reason", "n"} <= set(sample.columns):
        n = dict(zip(sample["reason"], sample["n"], strict=True))
        out.rows_used = int(n["analysis_sample"]) if "analysis_sample" in n else None
        out.rows_excluded = {
            str(r): int(v) for r, v in n.items() if r not in ("input_rows", "analysis_sample")
        }
    return out


@register(
    "family_preparedness",
    "family",
    "Family contact and preparedness",
    "Familiecontact en voorbereiding",
    "multivariate",
)
def family_preparedness(ctx: ReportContext) -> StepOutput:
    res = _chapter5(ctx)
    if "family" in res:
        table = res["family"]
    else:  # chapter5 without its family part: the family models on their own
        from ..multivariate.family import family_models

        table = family_models(ctx.inputs.prisoners)
    out = _generic("family_prep", {"models": table}, ctx)
    name = "family_prep_models"
    vis = visible(table, ctx.threshold)
    sig = vis[(vis["p_value"] < 0.05) & (vis["term"] != "Intercept")]
    if {"outcome", "term"} <= set(sig.columns):
        sn = sig[sig["outcome"] == "prep_social_network"]
        terms = ", ".join(sorted(set(sn["term"]))) or _say(ctx, "none", "geen")
        out.readings[name] = _say(
            ctx,
            f"Terms significantly related to preparedness on the social network: {terms}.",
            f"Termen die significant samenhangen met voorbereiding op het sociale netwerk: "
            f"{terms}.",
        )
    out.captions = {
        name: _say(
            ctx,
            "Preparedness on family contact (OLS, cluster-robust)",
            "Voorbereiding op familiecontact (OLS, clusterrobuust)",
        )
    }
    return out
