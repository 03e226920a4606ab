"""Chapter 2 (SPEC §3.1) and the family extension (§4): descriptive rates with intervals.

Functions take the canonical prisoners frame and return one tidy DataFrame, one row per
estimate, unrounded; render them with :mod:`reintegratie_stats.reporting.tables`.

Missing values (one convention for the whole package)
-----------------------------------------------------
Every row has ``n`` (respondents used for that estimate) and ``n_missing`` (respondents of that
group who were eligible but had a missing answer, or a missing/zero weight); functions on
routed questions also have ``n_not_applicable`` (routed past the question by the codebook's
``asked_if``, e.g. satisfaction without contact: not missing). Rows that fit no group (missing
grouping variable) or fall outside ``among`` are counted in ``result.attrs["n_excluded"]``
(``{reason: count}``); ``result.attrs["n_rows"]`` is the input size. Counts are always
unweighted; with ``weight=`` the rates, means and intervals are weighted.

Weighted intervals are design-based by default (``weights_method="design"``): the institutions
are the clusters (``cluster=``, default ``institution_id``; optional ``strata=``), every group
or subpopulation is a domain of the full design, as R's ``svyby``; see
:mod:`reintegratie_stats.statistics.design_based`. ``weights_method="kish"`` keeps the Kish
effective-n intervals, which ignore the clustering.

Lists of types, domains, regimes, phases, norms and family measures come from the codebook.
Derived grouping variables (``phase``, ``detention_length_band``, ``n_needs``, ...) are computed
with :mod:`reintegratie_stats.derive` when absent.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reintegratie_stats.schema import load_codebook
>>> cb = load_codebook()
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({f"contact_{t}": rng.binomial(1, 0.4, 200).astype(float)
...                    for t in cb.professional_types})
>>> df["regime"] = rng.choice(["HvB", "GBM"], 200)
>>> res = contact_rates(df, by="regime")
>>> list(res.columns[:5])
['regime', 'type', 'n', 'n_missing', 'n_contact']
>>> len(res)
12
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _tidy as T
from . import derive
from .schema import Codebook, load_codebook
from .statistics import design_based as DB
from .statistics.design_based import WeightsMethod
from .stats_util import CIMethod, association_2x2, mean_interval, proportion_interval

__all__ = [
    "SATISFACTION_ITEMS",
    "chapter2_results",
    "contact_rates",
    "cooccurrence",
    "distribution",
    "family_contact_rates",
    "policy_norm_gap",
    "satisfaction",
    "satisfaction_distribution",
]

#: Prefixes of the satisfaction items per professional type (``sat_<type>``, ``sat_freq_<type>``...).
SATISFACTION_ITEMS: tuple[str, ...] = ("sat", "sat_freq", "sat_pleasant", "sat_useful")


def _types(types: Sequence[str] | None, cb: Codebook) -> list[str]:
    out = list(types) if types is not None else list(cb.professional_types)
    bad = [t for t in out if t not in cb.professional_types]
    if bad:
        raise ValueError(
            f"unknown professional type(s) {bad}; the codebook has {cb.professional_types}"
        )
    return out


def _rate(
    y: pd.Series,
    w: pd.Series | None,
    method: CIMethod,
    alpha: float,
    cluster: pd.Series | None,
    design: DB.SurveyDesign | None = None,
) -> dict[str, Any]:
    """Rate row for a 0/1 series without missing values (a domain of ``design`` if given)."""
    if design is not None:
        return DB.svyciprop(y, design, alpha=alpha)
    if len(y) == 0:
        return {
            "rate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "effective_n": 0.0,
            "ci_method": method,
        }
    return proportion_interval(
        y.to_numpy(),
        None if w is None else w.to_numpy(),
        method,
        alpha,
        None if cluster is None else cluster.to_numpy(),
    )


_RATE_COLS = ("rate", "ci_low", "ci_high", "effective_n", "ci_method")


def contact_rates(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    types: Sequence[str] | None = None,
    method: CIMethod = "wilson",
    weight: str | None = None,
    cluster: str | None = None,
    among: str | None = None,
    combined: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    strata: str | None = None,
) -> pd.DataFrame:
    """Share in contact with each professional type (last six months), with intervals.

    Parameters
    ----------
    df : DataFrame
        Canonical prisoners frame with ``contact_<type>`` columns (0/1, NaN missing).
    by : str or list of str, optional
        Grouping variable(s): ``regime``, ``phase``, ``detention_length_band`` or any column.
    types : list of str, optional
        Professional types (default: all six of the codebook).
    method : {"wilson", "clopper-pearson", "linearization"}
        Interval of unweighted (and Kish-weighted) rates. ``"linearization"`` is the
        design-based interval of :mod:`~reintegratie_stats.statistics.design_based` (clusters
        ``cluster``, none if None; unit weights if unweighted).
    weight : str, optional
        Survey-weight column. Weighted rates are design-based by default (see
        ``weights_method``).
    cluster : str, optional
        PSU column of the design (default with weights: ``institution_id``).
    among : str, optional
        Restrict to rows where this 0/1 column is 1 (e.g. ``"has_children"``).
    combined : bool
        Add rows for ``any_internal`` (case manager or mentor), ``any_external``,
        ``any_contact`` (at least one of the types) and ``no_contact`` (none of them). A combination is missing
        when no type is 1 and one is missing (see :func:`reintegratie_stats.derive.any_contact`).
    alpha : float
        1 - confidence level.
    codebook : Codebook, optional
    weights_method : {"design", "kish"}
        With ``weight``: ``"design"`` (default) gives ``svyciprop``'s logit interval on the
        clustered design, every group a domain of the full design (as ``svyby``), t on the
        design df; ``"kish"`` applies ``method`` to the Kish effective n (ignores clustering).
    strata : str, optional
        Stratum column of the design.

    Returns
    -------
    DataFrame
        Columns ``[*by, "type", "n", "n_missing", "n_contact", "rate", "ci_low", "ci_high",
        "effective_n", "ci_method"]``; ``n_missing`` counts missing contact answers (and
        missing weights) in the group. ``attrs["n_excluded"]`` counts rows without a group.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"contact_care": [1.0, 0.0, 1.0, None]})
    >>> r = contact_rates(df, types=["care"])
    >>> r[["type", "n", "n_missing", "n_contact"]].values.tolist()
    [['care', 3, 1, 2]]
    """
    cb = codebook or load_codebook()
    tps = _types(types, cb)
    byl = T.as_list(by)
    cols = [f"contact_{t}" for t in tps]
    d = T.prepare(
        df,
        cols + byl + T.as_list(weight) + T.as_list(cluster) + T.as_list(among) + T.as_list(strata),
        cb,
    )
    # built before ``among``: a subpopulation is a domain of the full design
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
    w_all = T.weights(d, weight)
    ys = {t: T.binary(d, f"contact_{t}") for t in tps}
    if combined:
        ys.update(_combined_contact(d, tps, cb))
    rows = []
    for key, sub in T.groups(d, byl, cb, excluded):
        okw = T.usable_weight(w_all, sub.index)
        for t in ys:
            y = ys[t].reindex(sub.index)
            ok = y.notna() & okw
            r = _rate(
                y[ok],
                None if w_all is None else w_all[ok.index[ok]],
                method,
                alpha,
                None,
                design,
            )
            rows.append(
                {
                    **key,
                    "type": t,
                    "n": int(ok.sum()),
                    "n_missing": int((~ok).sum()),
                    "n_contact": int(y[ok].sum()),
                    **{c: r[c] for c in _RATE_COLS},
                }
            )
    return T.finish(
        rows,
        [*byl, "type", "n", "n_missing", "n_contact", *_RATE_COLS],
        len(df),
        excluded,
        weighted=weight is not None,
        **DB.design_attrs(design),
    )


def _combined_contact(d: pd.DataFrame, tps: list[str], cb: Codebook) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for name, group in (("any_internal", cb.internal_types), ("any_external", cb.external_types)):
        sel = tuple(t for t in tps if t in group)
        if sel:
            out[name] = derive.any_contact(d, cb, types=sel)
    anyone = derive.any_contact(d, cb, types=tuple(tps))
    out["any_contact"] = anyone
    out["no_contact"] = 1.0 - anyone
    return out


def policy_norm_gap(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    method: CIMethod = "wilson",
    weight: str | None = None,
    among: str | None = None,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Share meeting each policy norm of the codebook (``concepts.policy_norms``) and the gap.

    A norm is met when the prisoner had contact with every type in its ``requires_contact``
    (e.g. the D&R plan: municipality *and* probation). The survey asks about contact in the
    last six months, not about timing, so the share met is an upper bound for compliance with
    the norm's deadline (2 weeks, 4 weeks). A norm is not met as soon as one required contact
    is 0; it is missing when none is 0 and one is missing.

    Returns
    -------
    DataFrame
        Columns ``[*by, "norm", "n", "n_missing", "n_met", "rate", "ci_low", "ci_high",
        "gap", "effective_n", "ci_method"]`` where ``rate`` is the share meeting the norm and
        ``gap = 1 - rate`` the share the norm does not reach (the norm says: everyone).
    """
    cb = codebook or load_codebook()
    norms = cb.policy_norms
    need = sorted({f"contact_{t}" for nm in norms for t in nm["requires_contact"]})
    byl = T.as_list(by)
    d = T.prepare(df, need + byl + T.as_list(weight) + T.as_list(among), cb)
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
    w_all = T.weights(d, weight)
    rows = []
    for key, sub in T.groups(d, byl, cb, excluded):
        okw = T.usable_weight(w_all, sub.index)
        for nm in norms:
            block = pd.concat(
                [T.binary(sub, f"contact_{t}") for t in nm["requires_contact"]], axis=1
            )
            met = pd.Series(
                np.where(
                    (block == 1).all(axis=1), 1.0, np.where((block == 0).any(axis=1), 0.0, np.nan)
                ),
                index=sub.index,
            )
            ok = met.notna() & okw
            r = _rate(
                met[ok], None if w_all is None else w_all[ok.index[ok]], method, alpha, None, design
            )
            rows.append(
                {
                    **key,
                    "norm": nm["id"],
                    "n": int(ok.sum()),
                    "n_missing": int((~ok).sum()),
                    "n_met": int(met[ok].sum()),
                    "rate": r["rate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "gap": 1 - r["rate"],
                    "effective_n": r["effective_n"],
                    "ci_method": r["ci_method"],
                }
            )
    cols = [
        *byl,
        "norm",
        "n",
        "n_missing",
        "n_met",
        "rate",
        "ci_low",
        "ci_high",
        "gap",
        "effective_n",
        "ci_method",
    ]
    return T.finish(
        rows, cols, len(df), excluded, weighted=weight is not None, **DB.design_attrs(design)
    )


def _sat_vars(
    types: list[str], items: Sequence[str], d: pd.DataFrame, explicit: bool
) -> list[tuple[str, str, str]]:
    out = []
    for t in types:
        for it in items:
            if it not in SATISFACTION_ITEMS:
                raise ValueError(f"unknown satisfaction item {it!r}; use {SATISFACTION_ITEMS}")
            var = f"{it}_{t}"
            if var in d.columns:
                out.append((t, it, var))
            elif explicit:
                raise ValueError(f"satisfaction item column {var!r} not in the data frame")
    return out


def satisfaction(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    types: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    weight: str | None = None,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Satisfaction (1-5) with each professional type among those in contact with it.

    Items: general satisfaction (``sat``), frequency (``sat_freq``), pleasantness
    (``sat_pleasant``), usefulness (``sat_useful``); by default those present in ``df``.

    Returns
    -------
    DataFrame
        Columns ``[*by, "type", "item", "variable", "n", "n_missing", "n_not_applicable",
        "mean", "sd", "ci_low", "ci_high", "share_satisfied"]``: the base is contact = 1;
        ``n_not_applicable`` counts rows without (or with unknown) contact; the interval is a
        t-interval for the mean; ``share_satisfied`` is the share answering 4 or 5.
        For the full distribution see :func:`satisfaction_distribution`.
    """
    cb = codebook or load_codebook()
    tps = _types(types, cb)
    byl = T.as_list(by)
    d = T.prepare(df, [f"contact_{t}" for t in tps] + byl + T.as_list(weight), cb)
    design = DB.design_for(
        d, weight=weight, cluster=cluster, strata=strata, weights_method=weights_method
    )
    triples = _sat_vars(
        tps, items if items is not None else SATISFACTION_ITEMS, d, items is not None
    )
    excluded: dict[str, int] = {}
    w_all = T.weights(d, weight)
    rows = []
    for key, sub in T.groups(d, byl, cb, excluded):
        okw = T.usable_weight(w_all, sub.index)
        for t, it, var in triples:
            contact = T.binary(sub, f"contact_{t}") == 1
            y = T.numeric(sub, var)
            ok = contact & y.notna() & okw
            yy = y[ok]
            ww = None if w_all is None else w_all[ok.index[ok]]
            m = mean_interval(yy.to_numpy(), None if ww is None else ww.to_numpy(), alpha)
            if design is not None and len(yy):  # design-based interval, same mean and sd
                m.update({k: DB.mean_ci(yy, design, alpha)[k] for k in ("ci_low", "ci_high")})
            sat = (yy >= 4).astype(float)
            share = (
                (float(np.average(sat, weights=ww)) if ww is not None else float(sat.mean()))
                if len(yy)
                else np.nan
            )
            rows.append(
                {
                    **key,
                    "type": t,
                    "item": it,
                    "variable": var,
                    "n": int(ok.sum()),
                    "n_missing": int((contact & ~ok).sum()),
                    "n_not_applicable": int((~contact).sum()),
                    **m,
                    "share_satisfied": share,
                }
            )
    cols = [
        *byl,
        "type",
        "item",
        "variable",
        "n",
        "n_missing",
        "n_not_applicable",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "share_satisfied",
    ]
    return T.finish(
        rows, cols, len(df), excluded, weighted=weight is not None, **DB.design_attrs(design)
    )


def distribution(
    df: pd.DataFrame,
    variable: str,
    by: str | Sequence[str] | None = None,
    *,
    among: str | None = None,
    values: Sequence[Any] | None = None,
    method: CIMethod = "wilson",
    weight: str | None = None,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Distribution of a coded variable (e.g. ``family_approach_shell`` 0-3, a Likert item).

    Every code of the codebook appears (also with zero respondents) unless ``values`` is given.

    Returns
    -------
    DataFrame
        Columns ``[*by, "variable", "value", "n", "n_missing", "n_value", "share", "ci_low",
        "ci_high", "ci_method"]``: ``n`` answered in the group, ``n_value`` gave this value,
        ``share = n_value / n`` (weighted with ``weight``), interval as in :func:`contact_rates`.
    """
    cb = codebook or load_codebook()
    byl = T.as_list(by)
    d = T.prepare(df, [variable] + byl + T.as_list(weight) + T.as_list(among), cb)
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
    w_all = T.weights(d, weight)
    x = T.numeric(d, variable) if pd.api.types.is_numeric_dtype(d[variable]) else d[variable]
    if values is None:
        if variable in cb["prisoners"] and cb["prisoners"][variable].values:
            values = list(cb["prisoners"][variable].values)
        else:
            values = T.level_order(variable, x.dropna().tolist(), cb)
    rows = []
    for key, sub in T.groups(d, byl, cb, excluded):
        okw = T.usable_weight(w_all, sub.index)
        xs = x.reindex(sub.index)
        ok = xs.notna() & okw
        for v in values:
            hit = (xs[ok] == v).astype(float)
            r = _rate(
                hit, None if w_all is None else w_all[ok.index[ok]], method, alpha, None, design
            )
            rows.append(
                {
                    **key,
                    "variable": variable,
                    "value": v,
                    "n": int(ok.sum()),
                    "n_missing": int((~ok).sum()),
                    "n_value": int(hit.sum()),
                    "share": r["rate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "ci_method": r["ci_method"],
                }
            )
    cols = [
        *byl,
        "variable",
        "value",
        "n",
        "n_missing",
        "n_value",
        "share",
        "ci_low",
        "ci_high",
        "ci_method",
    ]
    return T.finish(
        rows, cols, len(df), excluded, weighted=weight is not None, **DB.design_attrs(design)
    )


def satisfaction_distribution(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    types: Sequence[str] | None = None,
    items: Sequence[str] = ("sat",),
    weight: str | None = None,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Distribution (1-5) of the satisfaction items among those in contact with the type.

    Returns
    -------
    DataFrame
        Columns ``[*by, "type", "item", "variable", "value", "n", "n_missing", "n_value",
        "share", "ci_low", "ci_high", "ci_method"]`` (see :func:`distribution`); rows without
        contact are counted in ``attrs["n_excluded"]`` per type.
    """
    cb = codebook or load_codebook()
    tps = _types(types, cb)
    d = T.prepare(df, [f"contact_{t}" for t in tps], cb)
    frames = []
    excluded: dict[str, int] = {}
    for t, it, var in _sat_vars(tps, items, d, True):
        d2 = d.assign(_contact=T.binary(d, f"contact_{t}"))
        r = distribution(
            d2,
            var,
            by,
            among="_contact",
            weight=weight,
            alpha=alpha,
            codebook=cb,
            weights_method=weights_method,
            cluster=cluster,
            strata=strata,
        )
        for k, v in r.attrs["n_excluded"].items():
            key = k.replace("_contact", f"contact_{t}")
            excluded[key] = v  # the same rows for every item of the type: count once
        frames.append(r.assign(type=t, item=it))
    byl = T.as_list(by)
    cols = [
        *byl,
        "type",
        "item",
        "variable",
        "value",
        "n",
        "n_missing",
        "n_value",
        "share",
        "ci_low",
        "ci_high",
        "ci_method",
    ]
    out = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    out.attrs = {"n_rows": len(df), "n_excluded": excluded, "weighted": weight is not None}
    return out


def cooccurrence(
    df: pd.DataFrame,
    *,
    types: Sequence[str] | None = None,
    weight: str | None = None,
    among: str | None = None,
    correction: bool = False,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Co-occurrence of contact types: phi and odds ratio for every pair.

    Returns
    -------
    DataFrame
        One row per pair (codebook order), columns ``["type_a", "type_b", "n", "n_missing",
        "n_both", "n_a_only", "n_b_only", "n_neither", "phi", "odds_ratio", "ci_low",
        "ci_high", "or_correction", "test", "statistic", "p_value"]``. ``phi`` is the Pearson
        correlation of the two 0/1 columns; odds ratio with Woolf interval (Haldane when a cell
        is 0); test chi-square or Fisher (see :func:`~reintegratie_stats.stats_util.contingency_test`).
    """
    cb = codebook or load_codebook()
    tps = _types(types, cb)
    d = T.prepare(df, [f"contact_{t}" for t in tps] + T.as_list(weight) + T.as_list(among), cb)
    design = DB.design_for(
        d, weight=weight, cluster=cluster, strata=strata, weights_method=weights_method
    )
    excluded: dict[str, int] = {}
    d = T.among(d, among, excluded)
    w_all = T.weights(d, weight)
    okw = T.usable_weight(w_all, d.index)
    ys = {t: T.binary(d, f"contact_{t}") for t in tps}
    rows = []
    for i, a in enumerate(tps):
        for b in tps[i + 1 :]:
            ok = ys[a].notna() & ys[b].notna() & okw
            r = association_2x2(
                ys[a][ok], ys[b][ok], None if w_all is None else w_all[ok], correction, alpha
            )
            if design is not None:
                r = DB.design_association(r, ys[a][ok], ys[b][ok], design, alpha)
            rows.append(
                {
                    "type_a": a,
                    "type_b": b,
                    "n": int(ok.sum()),
                    "n_missing": int((~ok).sum()),
                    "n_both": r["n_exposed_outcome"],
                    "n_a_only": r["n_exposed_no_outcome"],
                    "n_b_only": r["n_unexposed_outcome"],
                    "n_neither": r["n_unexposed_no_outcome"],
                    **{
                        k: r[k]
                        for k in (
                            "phi",
                            "odds_ratio",
                            "ci_low",
                            "ci_high",
                            "or_correction",
                            "test",
                            "statistic",
                            "p_value",
                        )
                    },
                }
            )
    cols = [
        "type_a",
        "type_b",
        "n",
        "n_missing",
        "n_both",
        "n_a_only",
        "n_b_only",
        "n_neither",
        "phi",
        "odds_ratio",
        "ci_low",
        "ci_high",
        "or_correction",
        "test",
        "statistic",
        "p_value",
    ]
    return T.finish(
        rows, cols, len(df), excluded, weighted=weight is not None, **DB.design_attrs(design)
    )


def _applicable(d: pd.DataFrame, var: str, cb: Codebook) -> pd.Series:
    """True where the codebook routing (``asked_if``) puts the question to the respondent.

    A respondent who answered counts as asked; one whose routing variable is missing and who
    did not answer is not applicable-unknown, counted as missing (not as routed past).
    """
    v = cb["prisoners"][var] if var in cb["prisoners"] else None
    if v is None or v.asked_if is None or v.asked_if[0] not in d.columns:
        return pd.Series(True, index=d.index)
    cvar, cval = v.asked_if
    c = pd.to_numeric(d[cvar], errors="coerce")
    return (c == cval) | c.isna() | d[var].notna()


def family_contact_rates(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    measures: Sequence[str] | None = None,
    among: str | None = None,
    method: CIMethod = "wilson",
    weight: str | None = None,
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> pd.DataFrame:
    """Family-contact rates (SPEC §4): visits, phone, video, parent-child days, family room...

    For a 0/1 measure ``rate`` is the share with 1 (``measure = "share"``). For a count
    measure (visits last month, phone calls per week, ...) ``rate`` is the share with at least
    one and ``mean_count``/``sd_count`` describe the count (``measure = "share_gt0_and_mean"``).
    For ``family_approach_shell`` (0-3) ``rate`` is the share taking part (shell 1-3,
    ``measure = "share_gt0"``); its distribution comes from
    ``distribution(df, "family_approach_shell", by=...)``. Routed questions (``asked_if``, e.g.
    ``visits_partner`` only with a partner) use the respondents asked; the others are counted
    in ``n_not_applicable``. ``among="has_children"`` gives the rates among parents.

    Returns
    -------
    DataFrame
        Columns ``[*by, "variable", "measure", "n", "n_missing", "n_not_applicable", "n_any",
        "rate", "ci_low", "ci_high", "mean_count", "sd_count", "effective_n", "ci_method"]``.
        Measures of the codebook that are absent from ``df`` are listed in ``attrs["skipped"]``.
    """
    cb = codebook or load_codebook()
    explicit = measures is not None
    ms = list(measures) if explicit else list(cb.family_contact)
    byl = T.as_list(by)
    d = T.prepare(df, byl + T.as_list(weight) + T.as_list(among) + (ms if explicit else []), cb)
    design = DB.design_for(
        d,
        weight=weight,
        cluster=cluster,
        strata=strata,
        weights_method=weights_method,
        linearization=method == "linearization",
    )
    skipped = [m for m in ms if m not in d.columns]
    ms = [m for m in ms if m in d.columns]
    excluded: dict[str, int] = {}
    d = T.among(d, among, excluded)
    w_all = T.weights(d, weight)
    rows = []
    for key, sub in T.groups(d, byl, cb, excluded):
        okw = T.usable_weight(w_all, sub.index)
        for m in ms:
            vtype = cb["prisoners"][m].type if m in cb["prisoners"] else "integer"
            x = T.binary(sub, m) if vtype == "binary" else T.numeric(sub, m)
            if (x < 0).any():
                raise ValueError(f"column {m!r} has negative values; expected a count")
            app = _applicable(sub, m, cb)
            ok = app & x.notna() & okw
            xs = x[ok]
            ww = None if w_all is None else w_all[ok.index[ok]]
            anyone = (xs > 0).astype(float)
            r = _rate(anyone, ww, method, alpha, None, design)
            if vtype == "binary":
                measure, mc, sc = "share", np.nan, np.nan
            elif m == "family_approach_shell":
                measure, mc, sc = "share_gt0", np.nan, np.nan
            else:
                mi = mean_interval(xs.to_numpy(), None if ww is None else ww.to_numpy(), alpha)
                measure, mc, sc = "share_gt0_and_mean", mi["mean"], mi["sd"]
            rows.append(
                {
                    **key,
                    "variable": m,
                    "measure": measure,
                    "n": int(ok.sum()),
                    "n_missing": int((app & ~ok).sum()),
                    "n_not_applicable": int((~app).sum()),
                    "n_any": int(anyone.sum()),
                    **{c: r[c] for c in ("rate", "ci_low", "ci_high")},
                    "mean_count": mc,
                    "sd_count": sc,
                    "effective_n": r["effective_n"],
                    "ci_method": r["ci_method"],
                }
            )
    cols = [
        *byl,
        "variable",
        "measure",
        "n",
        "n_missing",
        "n_not_applicable",
        "n_any",
        "rate",
        "ci_low",
        "ci_high",
        "mean_count",
        "sd_count",
        "effective_n",
        "ci_method",
    ]
    return T.finish(
        rows,
        cols,
        len(df),
        excluded,
        weighted=weight is not None,
        skipped=skipped,
        **DB.design_attrs(design),
    )


def _groupable(df: pd.DataFrame, col: str) -> bool:
    """The column is present, or derivable from ``weeks_detained`` (phase, length band)."""
    return col in df.columns or (
        col in ("phase", "detention_length_band") and "weeks_detained" in df.columns
    )


def chapter2_results(
    df: pd.DataFrame,
    *,
    weight: str | None = None,
    codebook: Codebook | None = None,
    weights_method: WeightsMethod = "design",
    cluster: str | None = None,
    strata: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Every chapter-2 and family-rate table in one dict (name -> tidy frame), in report order.

    ``weight``, ``weights_method``, ``cluster`` and ``strata`` are passed to every table (see
    :func:`contact_rates`): weighted tables are design-based by default.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> cb = load_codebook()
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({f"contact_{t}": rng.binomial(1, 0.4, 100).astype(float)
    ...                    for t in cb.professional_types}).assign(regime="HvB", weeks_detained=10.0)
    >>> sorted(chapter2_results(df))[:3]
    ['contact_rates', 'contact_rates_by_detention_length', 'contact_rates_by_phase']
    """
    cb = codebook or load_codebook()
    kw: dict[str, Any] = {"weights_method": weights_method, "cluster": cluster, "strata": strata}
    out: dict[str, pd.DataFrame] = {
        "contact_rates": contact_rates(df, weight=weight, **kw, combined=True, codebook=cb)
    }
    groupings = [g for g in ("regime", "detention_length_band", "phase") if _groupable(df, g)]
    for g in groupings:
        key = "detention_length" if g == "detention_length_band" else g
        out[f"contact_rates_by_{key}"] = contact_rates(df, by=g, weight=weight, **kw, codebook=cb)
    out["policy_norm_gap"] = policy_norm_gap(df, weight=weight, **kw, codebook=cb)
    if any(f"sat_{t}" in df.columns for t in cb.professional_types):
        out["satisfaction"] = satisfaction(df, weight=weight, **kw, codebook=cb)
    out["cooccurrence"] = cooccurrence(df, weight=weight, **kw, codebook=cb)
    if any(m in df.columns for m in cb.family_contact):
        for g in ("regime", "phase"):
            if g in groupings:
                out[f"family_contact_by_{g}"] = family_contact_rates(
                    df, by=g, weight=weight, **kw, codebook=cb
                )
        if "has_children" in df.columns:
            out["family_contact_parents"] = family_contact_rates(
                df, among="has_children", weight=weight, **kw, codebook=cb
            )
        if "family_approach_shell" in df.columns:
            out["family_approach_shell"] = distribution(
                df,
                "family_approach_shell",
                by="regime" if "regime" in df.columns else None,
                weight=weight,
                codebook=cb,
                **kw,
            )
    return out
