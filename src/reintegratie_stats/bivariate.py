"""Chapter 3 (SPEC §3.2) and the family extension (§4): bivariate needs-versus-contact tests.

Every 2x2 comparison reports the cross-table counts, the share with the outcome with and
without the predictor, the odds ratio with a Woolf 95% interval (Haldane correction for zero
cells, named in ``or_correction``), phi and Cramér's V, and a test: Pearson's chi-square
(no Yates correction by default, see :mod:`~reintegratie_stats.statistics.tests`) or Fisher's exact
test when an expected count is below 5; the ``test`` column names the test used. p-values are
adjusted over all rows of the returned table (``p_adjust="holm"`` by default, ``"fdr_bh"``
for Benjamini-Hochberg, ``"bonferroni"`` or ``"none"``).

Missing values follow the package convention (see :mod:`~reintegratie_stats.descriptives`):
``n`` rows used, ``n_missing`` rows with a missing predictor, outcome or weight,
``n_not_applicable`` rows routed past a question, ``attrs["n_excluded"]`` rows outside every
group. With ``weight=`` shares and odds ratios are weighted and counts stay unweighted; tests
and intervals are design-based by default (``weights_method="design"``: Rao-Scott F test as
``survey::svychisq``, design-based odds-ratio interval, clusters ``cluster=`` default
``institution_id``, optional ``strata=``; see
:mod:`reintegratie_stats.statistics.design_based`), or use the weighted table rescaled to the
Kish effective sample size with ``weights_method="kish"``; ``test`` names the one used.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reintegratie_stats.schema import load_codebook
>>> cb = load_codebook()
>>> rng = np.random.default_rng(2)
>>> df = pd.DataFrame({c: rng.binomial(1, 0.3, 300).astype(float) for c in
...                    [f"need_{d}" for d in cb.domains] + [f"contact_{t}" for t in cb.professional_types]})
>>> res = needs_vs_contact(df)
>>> len(res), list(res.columns[:4])
(36, ['need', 'type', 'matched', 'n'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .schema import Codebook, load_codebook
from .statistics import design_based as DB
from .statistics import grouping as T
from .statistics.design_based import WeightsMethod
from .statistics.intervals import CIMethod, kish_effective_n, proportion_interval
from .statistics.tests import (
    PAdjust,
    adjust_pvalues,
    association_2x2,
    contingency_test,
    weighted_table,
)

__all__ = [
    "chapter3_results",
    "contact_by_phase",
    "crosstab_tests",
    "family_by_children",
    "family_by_needs",
    "group_comparison",
    "needs_vs_contact",
    "no_contact_by_n_needs",
    "no_contact_by_need",
]

_ASSOC_COLS = [
    "n_exposed",
    "n_unexposed",
    "n_exposed_outcome",
    "n_exposed_no_outcome",
    "n_unexposed_outcome",
    "n_unexposed_no_outcome",
    "rate_exposed",
    "rate_unexposed",
    "rate_difference",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "or_correction",
    "phi",
    "cramers_v",
    "test",
    "statistic",
    "dof",
    "min_expected",
    "p_value",
]


def _outcome(d: pd.DataFrame, var: str, cb: Codebook) -> tuple[pd.Series, str]:
    """0/1 outcome: binary as is, counts and ordinal codes as ``> 0``; plus its measure name."""
    v = cb["prisoners"][var] if var in cb["prisoners"] else None
    s = T.numeric(d, var)
    is_binary = v.type == "binary" if v is not None else bool(s.dropna().isin([0.0, 1.0]).all())
    if is_binary:
        return T.binary(d, var), "share"
    if (s < 0).any():
        raise ValueError(
            f"column {var!r} has negative values; cannot use 'more than 0' as the outcome"
        )
    return (s > 0).astype(float).where(s.notna()), "share_gt0"


def _adjust(out: pd.DataFrame, p_adjust: PAdjust) -> pd.DataFrame:
    out["p_adjusted"] = (
        adjust_pvalues(out["p_value"].to_numpy(dtype=float), p_adjust) if len(out) else []
    )
    out["p_adjust_method"] = p_adjust
    return out


def crosstab_tests(
    df: pd.DataFrame,
    predictors: Sequence[str],
    outcomes: Sequence[str],
    *,
    weight: str | None = None,
    among: str | None = None,
    p_adjust: PAdjust = "holm",
    correction: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """2x2 tests of every 0/1 predictor against every outcome (the engine of this module).

    Outcomes that are counts or codes (visits, phone calls, family-approach shell) are
    dichotomised as ``> 0`` (``measure = "share_gt0"``); 0/1 outcomes have ``measure = "share"``.
    Routed outcomes (codebook ``asked_if``) use the respondents asked.

    Returns
    -------
    DataFrame
        One row per predictor x outcome, columns ``["predictor", "outcome", "measure", "n",
        "n_missing", "n_not_applicable", "n_exposed", "n_unexposed", "n_exposed_outcome",
        "n_exposed_no_outcome", "n_unexposed_outcome", "n_unexposed_no_outcome",
        "rate_exposed", "rate_unexposed", "rate_difference", "odds_ratio", "ci_low", "ci_high",
        "or_correction", "phi", "cramers_v", "test", "statistic", "dof", "min_expected",
        "p_value", "p_adjusted", "p_adjust_method"]``; "exposed" means predictor = 1,
        ``rate_*`` are shares with the outcome, ``ci_*`` the odds-ratio interval.
    """
    cb = codebook or load_codebook()
    preds, outs = list(predictors), list(outcomes)
    d = T.prepare(df, preds + outs + T.as_list(weight) + T.as_list(among), cb)
    design = DB.design_for(
        d, weight=weight, cluster=cluster, strata=strata, weights_method=weights_method
    )
    excluded: dict[str, int] = {}
    d = T.among(d, among, excluded)
    w_all = T.weights(d, weight)
    okw = T.usable_weight(w_all, d.index)
    xs = {p: T.binary(d, p) for p in preds}
    ys = {o: _outcome(d, o, cb) for o in outs}
    rows = []
    for p in preds:
        for o in outs:
            y, measure = ys[o]
            app = T.applicable(d, o, cb)
            ok = app & xs[p].notna() & y.notna() & okw
            r = association_2x2(
                xs[p][ok], y[ok], None if w_all is None else w_all[ok], correction, alpha
            )
            if design is not None:
                r = DB.design_association(r, xs[p][ok], y[ok], design, alpha)
            rows.append(
                {
                    "predictor": p,
                    "outcome": o,
                    "measure": measure,
                    "n": int(ok.sum()),
                    "n_missing": int((app & ~ok).sum()),
                    "n_not_applicable": int((~app).sum()),
                    **{k: r[k] for k in _ASSOC_COLS},
                }
            )
    cols = ["predictor", "outcome", "measure", "n", "n_missing", "n_not_applicable", *_ASSOC_COLS]
    out = T.finish(
        rows, cols, len(df), excluded, weighted=weight is not None, **DB.design_attrs(design)
    )
    return _adjust(out, p_adjust)


def _need_cols(
    needs: Sequence[str] | None, d: pd.DataFrame, cb: Codebook
) -> tuple[list[str], list[str]]:
    if needs is not None:
        bad = [n for n in needs if n not in cb.domains]
        if bad:
            raise ValueError(f"unknown need domain(s) {bad}; the codebook has {cb.domains}")
        return list(needs), []
    present = [dm for dm in cb.domains if f"need_{dm}" in d.columns]
    return present, [f"need_{dm}" for dm in cb.domains if dm not in present]


def needs_vs_contact(
    df: pd.DataFrame,
    *,
    needs: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    weight: str | None = None,
    among: str | None = None,
    p_adjust: PAdjust = "holm",
    correction: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Each prior need (``need_<domain>``) x each professional type (``contact_<type>``).

    Parameters
    ----------
    df : DataFrame
        Canonical prisoners frame.
    needs : list of str, optional
        Domains (default: every domain of the codebook present in ``df``; absent ones are
        listed in ``attrs["skipped"]``).
    types : list of str, optional
        Professional types (default: the six of the codebook).
    weight, among, correction, alpha, codebook
        See :func:`crosstab_tests`.
    p_adjust : {"holm", "fdr_bh", "bonferroni", "none"}
        Adjustment over the whole table (needs x types tests).

    Returns
    -------
    DataFrame
        Columns ``["need", "type", "matched", "n", "n_missing", "n_exposed", "n_unexposed",
        "n_exposed_outcome", "n_exposed_no_outcome", "n_unexposed_outcome",
        "n_unexposed_no_outcome", "rate_exposed", "rate_unexposed", "rate_difference",
        "odds_ratio", "ci_low", "ci_high", "or_correction", "phi", "cramers_v", "test",
        "statistic", "dof", "min_expected", "p_value", "p_adjusted", "p_adjust_method"]``:
        exposed = has the need, outcome = contact; ``matched`` is True where the codebook lists
        the need among the type's ``matched_needs``.
    """
    cb = codebook or load_codebook()
    tps = T.professional_types(types, cb)
    doms, skipped = _need_cols(needs, df, cb)
    res = crosstab_tests(
        df,
        [f"need_{x}" for x in doms],
        [f"contact_{t}" for t in tps],
        weight=weight,
        among=among,
        p_adjust=p_adjust,
        correction=correction,
        alpha=alpha,
        codebook=cb,
        weights_method=weights_method,
        cluster=cluster,
        strata=strata,
    )
    need = res["predictor"].str.removeprefix("need_")
    typ = res["outcome"].str.removeprefix("contact_")
    matched = [n in cb.matched_needs(t) for n, t in zip(need, typ, strict=True)]
    out = res.drop(columns=["predictor", "outcome", "measure", "n_not_applicable"])
    out.insert(0, "matched", matched)
    out.insert(0, "type", typ)
    out.insert(0, "need", need)
    out.attrs = {**res.attrs, "skipped": skipped}
    return out


def no_contact_by_need(
    df: pd.DataFrame,
    *,
    needs: Sequence[str] | None = None,
    weight: str | None = None,
    p_adjust: PAdjust = "holm",
    correction: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """ "No contact with any of the six types" by each prior need (and by complex needs).

    The last row compares complex needs (2+ of the five classic domains, ``complex_needs``)
    with fewer. "No contact" is missing when no contact is 1 and one is missing.

    Returns
    -------
    DataFrame
        Columns ``["need", "n", "n_missing", "n_exposed", ...]`` as in
        :func:`needs_vs_contact` without ``type``/``matched``; ``need`` is the domain or
        ``"complex_needs"``; the outcome is no contact at all.
    """
    cb = codebook or load_codebook()
    doms, skipped = _need_cols(needs, df, cb)
    d = T.prepare(df, [f"need_{x}" for x in doms] + ["any_contact"], cb)
    d = d.assign(no_contact=1.0 - T.binary(d, "any_contact"))
    preds = [f"need_{x}" for x in doms]
    if "complex_needs" in d.columns:
        preds.append("complex_needs")
    res = crosstab_tests(
        d,
        preds,
        ["no_contact"],
        weight=weight,
        p_adjust=p_adjust,
        correction=correction,
        alpha=alpha,
        codebook=cb,
        weights_method=weights_method,
        cluster=cluster,
        strata=strata,
    )
    out = res.drop(columns=["outcome", "measure", "n_not_applicable"])
    out.insert(0, "need", out.pop("predictor").str.removeprefix("need_"))
    out.attrs = {**res.attrs, "n_rows": len(df), "skipped": skipped}
    return out


def group_comparison(
    df: pd.DataFrame,
    outcomes: Sequence[str],
    group: str,
    *,
    weight: str | None = None,
    among: str | None = None,
    method: CIMethod = "wilson",
    p_adjust: PAdjust = "holm",
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Share with each 0/1 outcome per level of ``group``, with an omnibus test per outcome.

    The test (chi-square on the levels x outcome table, or the exact Fisher-Freeman-Halton
    test by Monte Carlo when an expected count is below 5, its resamples seeded by ``seed``)
    is repeated on every row of its outcome; p-values are adjusted over the outcomes.

    Returns
    -------
    DataFrame
        Columns ``["outcome", group, "n", "n_missing", "n_outcome", "rate", "ci_low",
        "ci_high", "effective_n", "ci_method", "test", "statistic", "dof", "p_value",
        "cramers_v", "p_adjusted", "p_adjust_method"]``; rows with a missing ``group`` are in
        ``attrs["n_excluded"]``.
    """
    cb = codebook or load_codebook()
    outs = list(outcomes)
    d = T.prepare(df, outs + [group] + T.as_list(weight) + T.as_list(among), cb)
    design = DB.design_for(
        d,
        weight=weight,
        cluster=cluster,
        strata=strata,
        weights_method=weights_method,
        linearization=method == "linearization",
    )
    excluded: dict[str, int] = {}
    d = T.among(d, among, excluded)
    miss_g = d[group].isna()
    if miss_g.any():
        excluded[f"{group} missing"] = int(miss_g.sum())
    d = d.loc[~miss_g]
    w_all = T.weights(d, weight)
    okw = T.usable_weight(w_all, d.index)
    levels = T.level_order(group, d[group].tolist(), cb)
    rows: list[dict[str, Any]] = []
    tests = []
    for o in outs:
        y = T.binary(d, o)
        ok = y.notna() & okw
        w_ok = None if w_all is None else w_all[ok].to_numpy()
        tab = weighted_table(
            d.loc[ok, group].to_numpy(), y[ok].to_numpy(), w_ok, levels, (1.0, 0.0)
        )
        if w_ok is not None and w_ok.sum() > 0:
            tab = tab * kish_effective_n(w_ok) / w_ok.sum()
        test = contingency_test(tab, seed=seed)
        if design is not None and test["test"] != "not testable":
            rs = DB.svychisq(d.loc[ok, group], y[ok], design)
            test.update(
                test=f"{rs['test']} (design-based, {design.label})",
                statistic=rs["statistic"],
                dof=rs["ndf"],
                p_value=rs["p_value"],
            )
        elif w_ok is not None and test["test"] != "not testable":
            test["test"] += " (weighted, Kish-rescaled)"
        tests.append(test["p_value"])
        for lev in levels:
            in_g = d[group] == lev
            sel = in_g & ok
            ys = y[sel]
            r = (
                DB.svyciprop(ys, design, alpha=alpha)
                if design is not None
                else proportion_interval(
                    ys.to_numpy(), None if w_all is None else w_all[sel].to_numpy(), method, alpha
                )
                if len(ys)
                else {
                    "rate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "effective_n": 0.0,
                    "ci_method": method,
                }
            )
            rows.append(
                {
                    "outcome": o,
                    group: lev,
                    "n": int(sel.sum()),
                    "n_missing": int((in_g & ~ok).sum()),
                    "n_outcome": int(ys.sum()),
                    **{k: r[k] for k in ("rate", "ci_low", "ci_high", "effective_n", "ci_method")},
                    **{k: test[k] for k in ("test", "statistic", "dof", "p_value", "cramers_v")},
                }
            )
    cols = [
        "outcome",
        group,
        "n",
        "n_missing",
        "n_outcome",
        "rate",
        "ci_low",
        "ci_high",
        "effective_n",
        "ci_method",
        "test",
        "statistic",
        "dof",
        "p_value",
        "cramers_v",
    ]
    out = T.finish(
        rows, cols, len(df), excluded, weighted=weight is not None, **DB.design_attrs(design)
    )
    adj = dict(zip(outs, adjust_pvalues(np.asarray(tests, dtype=float), p_adjust), strict=True))
    out["p_adjusted"] = out["outcome"].map(adj).astype(float)
    out["p_adjust_method"] = p_adjust
    return out


def contact_by_phase(
    df: pd.DataFrame,
    *,
    types: Sequence[str] | None = None,
    weight: str | None = None,
    method: CIMethod = "wilson",
    p_adjust: PAdjust = "holm",
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Contact with each type by phase of detention (first 6 weeks / middle / last 3 months).

    ``phase`` is derived from ``weeks_detained``/``weeks_to_release`` when absent.

    Returns
    -------
    DataFrame
        Columns ``["type", "phase", "n", "n_missing", "n_contact", "rate", "ci_low",
        "ci_high", "effective_n", "ci_method", "test", "statistic", "dof", "p_value",
        "cramers_v", "p_adjusted", "p_adjust_method"]``; the phase x contact test of a type is
        repeated on its three rows; p-values adjusted over the types. ``seed`` seeds a Monte
        Carlo p-value (see :func:`group_comparison`).
    """
    cb = codebook or load_codebook()
    tps = T.professional_types(types, cb)
    res = group_comparison(
        df,
        [f"contact_{t}" for t in tps],
        "phase",
        weight=weight,
        method=method,
        p_adjust=p_adjust,
        alpha=alpha,
        codebook=cb,
        weights_method=weights_method,
        cluster=cluster,
        strata=strata,
        seed=seed,
    )
    out = res.rename(columns={"n_outcome": "n_contact"})
    out.insert(0, "type", out.pop("outcome").str.removeprefix("contact_"))
    out.attrs = res.attrs
    return out


def no_contact_by_n_needs(
    df: pd.DataFrame,
    *,
    weight: str | None = None,
    method: CIMethod = "wilson",
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Share without contact with any of the six by number of needs (0, 1, 2+ = complex).

    ``n_needs`` counts the five classic domains (see :func:`reintegratie_stats.derived_variables.n_needs`).

    Returns
    -------
    DataFrame
        Columns ``["needs_group", "n", "n_missing", "n_no_contact", "rate", "ci_low",
        "ci_high", "effective_n", "ci_method", "test", "statistic", "dof", "p_value",
        "cramers_v"]`` with groups ``"0"``, ``"1"``, ``"2+"``; the 3 x 2 test is repeated.
    """
    cb = codebook or load_codebook()
    d = T.prepare(df, ["n_needs", "any_contact"], cb)
    nn = T.numeric(d, "n_needs")
    grp = pd.Series(
        np.where(nn >= 2, "2+", np.where(nn == 1, "1", "0")), index=d.index, dtype=object
    ).where(nn.notna())
    d = d.assign(needs_group=grp, no_contact=1.0 - T.binary(d, "any_contact"))
    res = group_comparison(
        d,
        ["no_contact"],
        "needs_group",
        weight=weight,
        method=method,
        p_adjust="none",
        alpha=alpha,
        codebook=cb,
        weights_method=weights_method,
        cluster=cluster,
        strata=strata,
        seed=seed,
    )
    out = res.drop(columns=["outcome", "p_adjusted", "p_adjust_method"]).rename(
        columns={"n_outcome": "n_no_contact"}
    )
    out.attrs = {**res.attrs, "n_rows": len(df)}
    return out


def _family_measures(
    measures: Sequence[str] | None, d: pd.DataFrame, cb: Codebook
) -> tuple[list[str], list[str]]:
    if measures is not None:
        return list(measures), []
    present = [m for m in cb.family_contact if m in d.columns]
    return present, [m for m in cb.family_contact if m not in present]


def family_by_children(
    df: pd.DataFrame,
    *,
    measures: Sequence[str] | None = None,
    weight: str | None = None,
    p_adjust: PAdjust = "holm",
    correction: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Has minor children (``has_children``) x each family-contact measure.

    Measures asked only of parents (``asked_if: has_children == 1``, e.g. visits by children,
    parent-child days) cannot be compared and are listed in ``attrs["skipped"]``.

    Returns
    -------
    DataFrame
        The columns of :func:`crosstab_tests` (``predictor`` is ``has_children``).
    """
    cb = codebook or load_codebook()
    ms, skipped = _family_measures(measures, df, cb)
    routed = [
        m
        for m in ms
        if m in cb["prisoners"] and (cb["prisoners"][m].asked_if or ("",))[0] == "has_children"
    ]
    ms = [m for m in ms if m not in routed]
    res = crosstab_tests(
        df,
        ["has_children"],
        ms,
        weight=weight,
        p_adjust=p_adjust,
        correction=correction,
        alpha=alpha,
        codebook=cb,
        weights_method=weights_method,
        cluster=cluster,
        strata=strata,
    )
    res.attrs["skipped"] = skipped + [f"{m} (asked only if has_children == 1)" for m in routed]
    return res


def family_by_needs(
    df: pd.DataFrame,
    *,
    needs: Sequence[str] | None = None,
    measures: Sequence[str] | None = None,
    weight: str | None = None,
    among: str | None = None,
    p_adjust: PAdjust = "holm",
    correction: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Each prior need x each family-contact measure (``among="has_children"`` for parents).

    Returns
    -------
    DataFrame
        The columns of :func:`crosstab_tests` (``predictor`` is ``need_<domain>``).
    """
    cb = codebook or load_codebook()
    doms, skipped_n = _need_cols(needs, df, cb)
    ms, skipped_m = _family_measures(measures, df, cb)
    res = crosstab_tests(
        df,
        [f"need_{x}" for x in doms],
        ms,
        weight=weight,
        among=among,
        p_adjust=p_adjust,
        correction=correction,
        alpha=alpha,
        codebook=cb,
        weights_method=weights_method,
        cluster=cluster,
        strata=strata,
    )
    res.attrs["skipped"] = skipped_n + skipped_m
    return res


def chapter3_results(
    df: pd.DataFrame,
    *,
    weight: str | None = None,
    p_adjust: PAdjust = "holm",
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Every chapter-3 and family cross-table in one dict (name -> tidy frame), in report order.

    ``weight``, ``weights_method``, ``cluster`` and ``strata`` go to every table (see the
    module notes): weighted tests are design-based (Rao-Scott) by default. ``seed`` seeds the
    Monte Carlo p-values of the tables that can need one (see :func:`group_comparison`).
    """
    cb = codebook or load_codebook()
    kw: dict[str, Any] = {"weights_method": weights_method, "cluster": cluster, "strata": strata}
    out = {
        "needs_vs_contact": needs_vs_contact(
            df, weight=weight, **kw, p_adjust=p_adjust, codebook=cb
        ),
        "no_contact_by_need": no_contact_by_need(
            df, weight=weight, **kw, p_adjust=p_adjust, codebook=cb
        ),
        "no_contact_by_n_needs": no_contact_by_n_needs(
            df, weight=weight, **kw, codebook=cb, seed=seed
        ),
    }
    if "phase" in df.columns or "weeks_detained" in df.columns:
        out["contact_by_phase"] = contact_by_phase(
            df, weight=weight, **kw, p_adjust=p_adjust, codebook=cb, seed=seed
        )
    if any(m in df.columns for m in cb.family_contact):
        if "has_children" in df.columns:
            out["family_by_children"] = family_by_children(
                df, weight=weight, **kw, p_adjust=p_adjust, codebook=cb
            )
        out["family_by_needs"] = family_by_needs(
            df, weight=weight, **kw, p_adjust=p_adjust, codebook=cb
        )
    return out
