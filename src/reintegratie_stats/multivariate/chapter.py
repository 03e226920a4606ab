"""Chapter 5 in one call: every table of the multivariate chapter as tidy DataFrames."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from ..schema import Codebook, load_codebook
from ..statistics.complete_cases import row_account
from .effects import lincom, marginal_effects, predicted, standardized_coefficients
from .family import family_models
from .mice import mice_ols
from .mixed import mixed
from .ols import ols
from .ordinal import ordinal
from .predictors import (
    DEFAULT_CONTROLS,
    Coding,
    analysis_frame,
    domain_formula,
    overall_formula,
    support_terms,
)
from .scales import prep_items, scale_reliability
from .sur import sur

__all__ = ["ACCOUNT_COLUMNS", "account", "chapter5", "model_domains"]


def model_domains(data: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """Domains with all four columns ``prep_``, ``need_``, ``instr_int_``, ``instr_ext_``."""
    cb = codebook or load_codebook()
    return [
        d
        for d in cb.domains
        if all(f"{p}_{d}" in data.columns for p in ("prep", "need", "instr_int", "instr_ext"))
    ]


def _tab(result, outcome: str, model: str) -> pd.DataFrame:
    t = result.to_frame()
    t.insert(0, "outcome", outcome)
    t.insert(0, "model", model)
    t["n"] = result.nobs
    t["n_excluded"] = result.extra.get("n_excluded", 0)
    t["cov_type"] = result.cov_type
    return t


#: Columns of chapter5's ``accounting`` frame (as ``multilevel.ModelSet.accounting``).
ACCOUNT_COLUMNS = ("outcome", "model", "reason", "n")


def account(
    data: pd.DataFrame,
    outcome: str,
    model: str,
    before: Sequence[tuple[str, int]],
    columns: Sequence[str],
    n_used: int,
) -> list[dict]:
    """Accounting rows of one model (see
    :func:`~reintegratie_stats.statistics.complete_cases.row_account`), with its names."""
    return [
        {"outcome": outcome, "model": model, "reason": r, "n": int(n)}
        for r, n in row_account(before, data, columns, n_used)
    ]


def used_columns(result) -> list[str]:
    """The columns a fitted model lost rows on (its ``extra["excluded_by"]``)."""
    return list((result.extra or {}).get("excluded_by", {}))


def chapter5(
    prisoners: pd.DataFrame,
    *,
    soon_released_only: bool = True,
    cluster: str = "institution_id",
    domains: Sequence[str] | None = None,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    coding: Coding = "centred",
    include_mixed: bool = True,
    mixed_backend: Literal["native", "lme4"] = "native",
    include_ordinal: bool = True,
    include_sur: bool = True,
    include_family: bool = True,
    use_mice: bool = False,
    n_imputations: int = 20,
    seed: int = 0,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
) -> dict[str, pd.DataFrame]:
    """All chapter-5 analyses (SPEC §3 item 4 and §4) as tidy, unrounded DataFrames.

    Parameters
    ----------
    prisoners : pandas.DataFrame
        Canonical prisoners frame (not modified).
    soon_released_only : bool
        The chapter's sample: prisoners with release expected within 3 months.
    cluster : str
        Cluster (and random-intercept group) column.
    domains : sequence of str, optional
        Domains modelled (default: every codebook domain with prep/need/instr columns).
    controls : sequence of str
        Control terms (absent or constant ones are skipped).
    coding : {"centred", "listwise"}
        Support-satisfaction coding (see :func:`analysis_frame`): centred at 3 with 0 for
        no support (everyone stays in), or the raw items (only recipients stay in).
    include_mixed, include_ordinal, include_sur, include_family : bool
        Switch parts off (e.g. for speed).
    mixed_backend : {"native", "lme4"}
    use_mice : bool
        Also fit the OLS models with multiple imputation (``n_imputations``, ``seed``).

    Returns
    -------
    dict of str → pandas.DataFrame
        ``sample`` (reason, n), ``reliability`` (see :func:`scale_reliability`), ``ols`` and
        ``mixed`` (model, outcome, term, estimate, std_error, statistic, p_value, ci_low,
        ci_high, n, n_excluded, cov_type; mixed adds group_var, icc, singular), ``standardized``,
        ``marginal_effects`` (outcome, x, by, group, estimate, ..., n), ``support_contrast``
        (outcome, need, external − internal AME), ``predicted`` (outcome, side, x, x_value,
        support_level (1-5), by, by_value, estimate, ...), ``sur`` (equation, term, variable, ...), ``sur_tests``
        (test, hypothesis, statistic, dof, p_value, n, n_excluded), ``ordinal``, ``robustness``
        (OLS versus ordinal signs and p-values), ``family`` (:func:`family_models`, on all
        prisoners, not only the soon released), ``mice`` when asked, ``problems`` (part,
        outcome, message: models that could not be fitted, e.g. a rank-deficient design; empty
        when all ran) and ``accounting`` (outcome, model, reason, n: per model and for the
        scale, ``input_rows``, the rows outside the sample by reason, the listwise exclusions
        by variable and ``used``, adding up to ``input_rows``; see :func:`account`).
        Models are cluster-robust (CR1) by ``cluster`` unless stated.
    """
    cb = codebook or load_codebook()
    af = analysis_frame(
        prisoners, soon_released_only=soon_released_only, controls=controls, codebook=cb
    )
    data = af.data
    doms = list(domains) if domains is not None else model_domains(data, cb)
    if not doms:
        raise ValueError("no domain has the columns prep_/need_/instr_int_/instr_ext_")
    ctrl = list(af.controls)
    out: dict[str, pd.DataFrame] = {}
    # general-satisfaction AMEs and support contrasts are per 1 point of the 1-5 items
    out["sample"] = pd.concat(
        [
            pd.DataFrame({"reason": ["input_rows"], "n": [af.n_input]}),
            af.excluded,
            pd.DataFrame({"reason": ["analysis_sample"], "n": [len(data)]}),
        ],
        ignore_index=True,
    )
    before = [
        ("input_rows", af.n_input),
        *((str(r), int(n)) for r, n in zip(af.excluded["reason"], af.excluded["n"], strict=True)),
    ]
    acc: list[dict] = []

    def log(outcome: str, model: str, columns: Sequence[str], n_used: int) -> None:
        acc.extend(account(data, outcome, model, before, columns, n_used))

    out["collapsed"] = pd.DataFrame(
        {"variable": list(af.collapsed), "levels": list(af.collapsed.values())},
        columns=["variable", "levels"],
    )
    items = [c for c in prep_items(cb) if c in data.columns]
    out["reliability"] = scale_reliability(data, items)
    if len(out["reliability"]):
        log("prep_overall", "scale", items, int(out["reliability"]["n"].iloc[0]))

    # the social-network model has family contact (SPEC §4) when the visit questions exist
    family = "family_contact" in data.columns and bool(data["family_contact"].notna().any())
    formulas = {f"prep_{d}": domain_formula(d, ctrl, coding=coding, family=family) for d in doms}
    overall = (
        {"prep_overall": overall_formula(ctrl, coding=coding)}
        if "prep_overall" in data.columns
        else {}
    )
    needs = {f"prep_{d}": (f"need_{d}", *support_terms(d, coding)) for d in doms}
    needs["prep_overall"] = ("any_need", *support_terms("mean", coding))
    shift = 3.0 if coding == "centred" else 0.0
    sat_terms = (
        ("sat_int_c", "sat_ext_c") if coding == "centred" else ("sat_internal", "sat_external")
    )

    problems: list[dict[str, str]] = []

    def note(part: str, outcome: str, exc: Exception) -> None:
        # a degenerate model (e.g. a need nobody has) is reported, and the rest still runs
        problems.append({"part": part, "outcome": outcome, "message": str(exc)})

    ols_tabs, std_tabs, me_tabs, pred_tabs, contrast_tabs = [], [], [], [], []
    ols_fits = {}
    for outcome, f in {**formulas, **overall}.items():
        try:
            r = ols(f, data, cluster=cluster)
        except ValueError as exc:
            note("ols", outcome, exc)
            continue
        ols_fits[outcome] = r
        ols_tabs.append(_tab(r, outcome, "ols_cluster"))
        log(outcome, "ols_cluster", used_columns(r), r.nobs)
        s = standardized_coefficients(r)
        s.insert(0, "outcome", outcome)
        std_tabs.append(s)
        need, xi, xe = needs[outcome]
        for x in (xi, xe):
            me = marginal_effects(r, x, need, alpha=alpha)
            me.insert(0, "outcome", outcome)
            me_tabs.append(me)
            at = [v - shift for v in (1.0, 2.0, 3.0, 4.0, 5.0)]
            pr = predicted(r, x, need, at=at, alpha=alpha)
            pr.insert(3, "support_level", pr["x_value"] + shift)  # back on the 1-5 scale
            pr.insert(0, "side", "internal" if x == xi else "external")
            pr.insert(0, "outcome", outcome)
            pred_tabs.append(pr)
        for x in sat_terms:
            me = marginal_effects(r, x, alpha=alpha)
            me.insert(0, "outcome", outcome)
            me_tabs.append(me)
        for lv, w in (
            (0, {xe: 1.0, xi: -1.0}),
            (1, {xe: 1.0, xi: -1.0, f"{xe}:{need}": 1.0, f"{xi}:{need}": -1.0}),
        ):
            c = lincom(r, w, alpha=alpha)
            c.insert(0, "need", lv)
            c.insert(0, "outcome", outcome)
            c["n"] = r.nobs
            contrast_tabs.append(c)
    if not ols_fits:
        raise ValueError(f"no chapter-5 model could be fitted: {problems}")
    out["ols"] = pd.concat(ols_tabs, ignore_index=True)
    out["standardized"] = pd.concat(std_tabs, ignore_index=True)
    out["marginal_effects"] = pd.concat(me_tabs, ignore_index=True)
    out["support_contrast"] = pd.concat(contrast_tabs, ignore_index=True)
    out["predicted"] = pd.concat(pred_tabs, ignore_index=True)

    if include_mixed:
        tabs = []
        for outcome, f in {**formulas, **overall}.items():
            if outcome not in ols_fits:
                continue
            try:
                m = mixed(f"{f} + (1 | {cluster})", data, backend=mixed_backend)
            except ValueError as exc:
                note("mixed", outcome, exc)
                continue
            t = _tab(m, outcome, f"mixed_{mixed_backend}")
            log(outcome, f"mixed_{mixed_backend}", used_columns(m), m.nobs)
            t["group_var"] = m.group_var
            t["icc"] = m.icc
            t["singular"] = bool(m.convergence.singular) if m.convergence else False
            tabs.append(t)
        out["mixed"] = pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame()

    sur_doms = [d for d in doms if f"prep_{d}" in ols_fits]
    if include_sur and len(sur_doms) >= 2:
        doms = sur_doms
        s = sur({d: formulas[f"prep_{d}"] for d in doms}, data, cluster=cluster)
        t = s.tidy()
        log("+".join(f"prep_{d}" for d in doms), "sur", used_columns(s), s.nobs)
        t["n"] = s.nobs
        t["n_excluded"] = s.extra["n_excluded"]
        out["sur"] = t
        tests = []
        sup = {d: support_terms(d, coding) for d in doms}
        for label, term in (
            ("instr_ext equal across domains", lambda d: sup[d][1]),
            ("instr_int equal across domains", lambda d: sup[d][0]),
            ("instr_ext x need equal across domains", lambda d: f"{sup[d][1]}:need_{d}"),
            ("instr_int x need equal across domains", lambda d: f"{sup[d][0]}:need_{d}"),
        ):
            w = s.test_equal({d: term(d) for d in doms})
            w.insert(0, "test", label)
            tests.append(w)
        st = pd.concat(tests, ignore_index=True)
        st["n"] = s.nobs
        st["n_excluded"] = s.extra["n_excluded"]
        out["sur_tests"] = st

    if include_ordinal:
        tabs, rob = [], []
        for outcome, f in formulas.items():
            if outcome not in ols_fits or data[outcome].nunique() > 15:
                continue  # not an ordinal item (e.g. a continuous score): no ordinal model
            try:
                o = ordinal(f, data)
            except ValueError as exc:
                note("ordinal", outcome, exc)
                continue
            tabs.append(_tab(o, outcome, "ordinal_logit"))
            log(outcome, "ordinal_logit", used_columns(o), o.nobs)
            r = ols_fits[outcome]
            for term in r.params.index.drop("Intercept"):
                if term in o.params.index:
                    rob.append(
                        {
                            "outcome": outcome,
                            "term": term,
                            "ols_estimate": float(r.params[term]),
                            "ols_p_value": float(r.pvalues[term]),
                            "ordinal_estimate": float(o.params[term]),
                            "ordinal_p_value": float(o.pvalues[term]),
                            "same_sign": bool((r.params[term] > 0) == (o.params[term] > 0)),
                            "n": o.nobs,
                        }
                    )
        out["ordinal"] = pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame()
        out["robustness"] = pd.DataFrame(rob)

    if include_family:
        try:
            out["family"] = family_models(prisoners, cluster=cluster, controls=ctrl, codebook=cb)
        except ValueError as exc:
            note("family", "", exc)

    if use_mice:
        tabs = []
        for outcome, f in {**formulas, **overall}.items():
            p = mice_ols(f, data, cluster=cluster, n_imputations=n_imputations, seed=seed)
            tabs.append(_tab(p, outcome, "ols_cluster_mice"))
        out["mice"] = pd.concat(tabs, ignore_index=True)
    out["problems"] = pd.DataFrame(problems, columns=["part", "outcome", "message"])
    out["accounting"] = pd.DataFrame(acc, columns=list(ACCOUNT_COLUMNS))
    return out
