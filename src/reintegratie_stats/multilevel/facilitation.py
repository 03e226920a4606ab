"""Chapter 4 workflow: institutional facilitation -> contact with external professionals.

1. :func:`aggregation_stats` -- ICC(1), ICC(2) and r_wg per facilitation score (is it
   defensible to aggregate the professionals' ratings to institution scores?).
2. :func:`institution_scores` -- mean rating per institution (scores from
   ``cb.facilitation_scores``), and :func:`join_scores` onto the prisoners.
3. :func:`facilitation_models` -- for each external professional type (``cb.external_types``)
   the null, individual-controls and institutional models, with a tidy comparison table.
4. :func:`family_models` -- institution family facilities (``cb.family_facilities``) -> family
   contact among prisoners with children.

Numeric predictors are standardised (mean 0, SD 1 over the rows used), so odds ratios are per
SD; 0/1 facilities and categorical controls are left as they are. The three models of one
outcome use the same rows (complete cases on the largest model), so their likelihood-ratio
tests are valid; exclusions are counted in the tables.

Examples
--------
>>> import numpy as np, pandas as pd
>>> prof = pd.DataFrame({"institution_id": np.repeat(["PI01", "PI02", "PI03"], 4),
...                      "rating_reception": [4, 5, 4, 4, 2, 3, 2, 3, 4, 4, 5, 5.0]})
>>> st = aggregation_stats(prof, scores=["rating_reception"])
>>> list(st.columns)[:5]
['score', 'n_raters', 'n_groups', 'icc1', 'icc2']
>>> bool(st["icc1"].iloc[0] > 0.5)
True
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..results import ConvergenceWarning
from ..schema import load_codebook
from ..statistics.complete_cases import exclusion_reasons
from .bootstrap import BootstrapLRTResult, pb_lrt, pb_lrt_terms
from .compare import lrt
from .design import glmm_design
from .glmer import glmer
from .results import GLMMResult

__all__ = [
    "aggregation_stats",
    "institution_scores",
    "join_scores",
    "facilitation_models",
    "family_models",
    "family_outcomes",
    "ModelSet",
    "DEFAULT_CONTROLS",
]

GROUP = "institution_id"
PROBLEM_COLUMNS = ("outcome", "model", "error", "message")
#: Failures of one fit that must not take the other outcomes of a step down with them
#: (numerical failures such as "conditional modes did not converge", a check set to "raise",
#: or data that cannot carry the model, such as an outcome that never varies).
_FIT_ERRORS = (ArithmeticError, np.linalg.LinAlgError, RuntimeError, ValueError)

#: Tests of the institution-level terms (see ``docs/multilevel.md``, "Which test for
#: institution-level terms"): per term and for the block of them (the ladder's last step).
TermTest = Literal["wald-t", "bootstrap", "bootstrap-t", "wald-z", "gatekept"]
#: Every :data:`TermTest`, in the order the error message lists them.
TERM_TESTS: tuple[str, ...] = ("wald-t", "bootstrap", "bootstrap-t", "wald-z", "gatekept")
BlockTest = Literal["bootstrap", "chi2"]
#: Defaults chosen by the calibration on 200 twins (``benchmarks/bench_calibration.py``).
DEFAULT_TERM_TEST: TermTest = "bootstrap"
DEFAULT_BLOCK_TEST: BlockTest = "bootstrap"
#: Parametric-bootstrap replicates of the workflow's tests.
DEFAULT_NSIM = 1000
#: Individual controls of the chapter-4 models (used where present in the data).
DEFAULT_CONTROLS: tuple[str, ...] = ("age", "sex", "weeks_detained", "prior_convictions")


def _check_cols(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}")


def aggregation_stats(
    professionals: pd.DataFrame,
    scores: Sequence[str] | None = None,
    group: str = GROUP,
    n_options: int = 5,
) -> pd.DataFrame:
    """ICC(1), ICC(2) and r_wg of each rating, to justify aggregating raters to institutions.

    ICC(1) and ICC(2) come from the one-way ANOVA of ratings on institution (Bliese 2000), with
    the unequal-group-size ``k0``; r_wg is James, Demaree & Wolf's (1984) within-group agreement
    ``1 - s^2 / sigma_EU^2`` with the uniform null ``sigma_EU^2 = (A^2 - 1) / 12`` for ``A``
    answer options, truncated to [0, 1], per institution with at least 2 raters.

    Parameters
    ----------
    professionals : pandas.DataFrame
        One row per rater with ``group`` and the score columns (1..``n_options``, NaN missing).
    scores : sequence of str, optional
        Default ``cb.facilitation_scores``.
    group : str
    n_options : int

    Returns
    -------
    pandas.DataFrame
        One row per score: ``score``, ``n_raters``, ``n_groups``, ``icc1``, ``icc2``,
        ``rwg_mean``, ``rwg_median``, ``share_rwg_ge_70`` (share of institutions with r_wg >= .70),
        ``mean_raters_per_group``.
    """
    scores = list(scores or load_codebook().facilitation_scores)
    _check_cols(professionals, [group, *scores], "professionals")
    sigma_eu = (n_options**2 - 1) / 12.0
    rows = []
    for s in scores:
        d = professionals[[group, s]].dropna()
        gs = d.groupby(group, observed=True)[s]
        n = gs.size().to_numpy(dtype=float)
        means = gs.mean().to_numpy()
        var = gs.var(ddof=1).to_numpy()
        N, G = n.sum(), len(n)
        if G < 2 or N - G < 1:
            raise ValueError(
                f"score {s!r}: need at least 2 institutions and more raters than "
                f"institutions (got {G} institutions, {int(N)} raters)"
            )
        grand = d[s].mean()
        msb = np.sum(n * (means - grand) ** 2) / (G - 1)
        msw = np.nansum((n - 1) * np.nan_to_num(var)) / (N - G)
        k0 = (N - np.sum(n**2) / N) / (G - 1)
        icc1 = (msb - msw) / (msb + (k0 - 1) * msw)
        icc2 = (msb - msw) / msb if msb > 0 else np.nan
        rwg = np.clip(1 - var[n >= 2] / sigma_eu, 0, 1)
        rows.append(
            {
                "score": s,
                "n_raters": int(N),
                "n_groups": int(G),
                "icc1": float(icc1),
                "icc2": float(icc2),
                "rwg_mean": float(np.mean(rwg)) if rwg.size else np.nan,
                "rwg_median": float(np.median(rwg)) if rwg.size else np.nan,
                "share_rwg_ge_70": float(np.mean(rwg >= 0.7)) if rwg.size else np.nan,
                "mean_raters_per_group": float(N / G),
            }
        )
    return pd.DataFrame(rows)


def institution_scores(
    professionals: pd.DataFrame,
    scores: Sequence[str] | None = None,
    group: str = GROUP,
    org_types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Mean rating per institution (one row per institution, ``n_raters`` per score).

    Parameters
    ----------
    professionals : pandas.DataFrame
    scores : sequence of str, optional
        Default ``cb.facilitation_scores``.
    group : str
    org_types : sequence of str, optional
        Keep only raters of these ``org_type`` values (default: all raters).

    Returns
    -------
    pandas.DataFrame
        Columns ``institution_id``, one column per score (mean), ``n_raters_<score>``.
    """
    scores = list(scores or load_codebook().facilitation_scores)
    _check_cols(professionals, [group, *scores], "professionals")
    d = professionals
    if org_types is not None:
        _check_cols(d, ["org_type"], "professionals")
        d = d[d["org_type"].isin(list(org_types))]
    g = d.groupby(group, observed=True)[scores]
    out = g.mean()
    counts = g.count().add_prefix("n_raters_")
    return pd.concat([out, counts], axis=1).reset_index()


def join_scores(
    prisoners: pd.DataFrame,
    scores: pd.DataFrame,
    institutions: pd.DataFrame | None = None,
    institution_columns: Sequence[str] = (),
    group: str = GROUP,
) -> pd.DataFrame:
    """Left-join institution scores (and institution columns) onto the prisoners (a new frame).

    Raises
    ------
    ValueError
        If a prisoner's institution has no score row (named), or columns would clash.
    """
    _check_cols(prisoners, [group], "prisoners")
    _check_cols(scores, [group], "scores")
    clash = [c for c in scores.columns if c != group and c in prisoners.columns]
    if clash:
        raise ValueError(f"scores and prisoners both have column(s) {clash}")
    out = prisoners.merge(scores, on=group, how="left", validate="many_to_one")
    unknown = sorted(set(prisoners[group].dropna()) - set(scores[group]))
    if unknown:
        raise ValueError(f"institutions without scores (no rating professionals): {unknown}")
    if institution_columns:
        if institutions is None:
            raise ValueError("institution_columns given without an institutions frame")
        _check_cols(institutions, [group, *institution_columns], "institutions")
        out = out.merge(
            institutions[[group, *institution_columns]],
            on=group,
            how="left",
            validate="many_to_one",
        )
    return out


@dataclass
class ModelSet:
    """The fitted models of one workflow.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (outcome, model): ``outcome``, ``model``, ``nobs``, ``n_excluded``,
        ``n_groups``, ``llf``, ``aic``, ``bic``, ``variance``, ``icc``, ``median_odds_ratio``,
        ``singular``, ``penalized`` (separation: penalised fit, see ``GLMMControl.separation``),
        ``lrt_statistic``, ``lrt_df``, ``lrt_p_value`` (vs the previous model) and
        ``lrt_test`` (the test behind ``lrt_p_value``: ``"LRT chi-square"`` for the individual
        controls, ``"parametric bootstrap LRT (1,000)"`` for the block of institution terms by
        default).
    estimates : pandas.DataFrame
        One row per (outcome, model, term): the :func:`ModelResults.to_frame` columns (with
        ``df``), ``test`` (the test behind ``p_value``, e.g. ``"Wald t, between-within df
        (20)"``, ``"parametric bootstrap LRT (1,000)"`` or ``"parametric bootstrap-t under the
        block null (199)"``; with the bootstrap-t, ``statistic`` stays the Wald statistic of
        the Hessian SE, the p-value refers the t with the SE given theta) plus
        ``odds_ratio``, ``or_low``, ``or_high`` (Wald intervals on the same reference distribution as ``ci_low``/``ci_high``).
        Its ``flag`` column names separated or penalised terms (:meth:`GLMMResult.term_flags`).
    models : dict
        ``(outcome, model) -> GLMMResult``.
    aggregation : pandas.DataFrame, optional
        :func:`aggregation_stats` of the scores used.
    problems : pandas.DataFrame
        One row per model that could not be fitted: ``outcome``, ``model``, ``error``,
        ``message``. The other outcomes (and the models of the same outcome fitted before the
        failure) stay in ``table`` and ``estimates``; a report should print this table.
    accounting : pandas.DataFrame
        The rows of every fitted model, from the prisoners passed in: ``outcome``, ``model``,
        ``reason``, ``n``, reasons in order ``input_rows``, those outside the models'
        subgroup (e.g. ``no minor children``), one ``missing <variable>`` per variable (rows
        missing on it only, see :func:`~reintegratie_stats.statistics.complete_cases.exclusion_reasons`),
        then ``used`` (the model's ``nobs``). Per model, the exclusions plus ``used`` add up
        to ``input_rows``.
    """

    table: pd.DataFrame
    estimates: pd.DataFrame
    models: dict[tuple[str, str], GLMMResult] = field(default_factory=dict)
    aggregation: pd.DataFrame | None = None
    problems: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    )
    accounting: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ACCOUNT_COLUMNS))
    )


#: Columns of :attr:`ModelSet.accounting`.
ACCOUNT_COLUMNS = ("outcome", "model", "reason", "n")


def _ladder_vars(outcome: str, ladder: list[tuple[str, list[str]]]) -> list[str]:
    """Every variable of an outcome's ladder: its models share the complete rows of the largest."""
    return [outcome, GROUP, *ladder[-1][1]]


def _account(
    data: pd.DataFrame,
    outcome: str,
    ladder: list[tuple[str, list[str]]],
    models: dict,
    before: list[tuple[str, int]],
) -> list[dict]:
    """:attr:`ModelSet.accounting` rows of the fitted models of one outcome."""
    missing = exclusion_reasons(data, _ladder_vars(outcome, ladder))
    rows = []
    for (o, name), m in models.items():
        if o != outcome:
            continue
        reasons = [*before, *missing.items(), ("used", int(m.nobs))]
        rows += [{"outcome": o, "model": name, "reason": r, "n": int(n)} for r, n in reasons]
    return rows


def _standardise(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        if pd.api.types.is_numeric_dtype(out[c]) and out[c].nunique() > 2:
            sd = out[c].std()
            if sd > 0:
                out[c] = (out[c] - out[c].mean()) / sd
    return out


def _term_columns(names: Sequence[str], terms: Sequence[str]) -> list[str]:
    """The fixed-effect columns that the (institution-level) ``terms`` produce."""
    return [n for n in names if any(n == t or n.startswith(f"{t}[") for t in terms)]


#: The bootstrap's LR and the ladder's agree to the refits' tolerance (the deviances are
#: exact to ~1e-6); beyond this they come from different optima.
LR_AGREEMENT_TOL = 1e-3


def _check_lr(
    boot_lr: float, t: pd.DataFrame | None, outcome: str, model: str, problems: list[dict]
) -> None:
    """Say (problem ``LRMismatch`` and a warning) when the bootstrap tested another LR than
    the table's ``t``: the bootstrap refits the small model from the big one's optimum, and
    one that ends elsewhere than the ladder's gives a p-value for another LR (and replicates
    drawn from another null)."""
    if t is None:
        return
    table_lr = float(t["statistic"].iloc[0])
    if not abs(boot_lr - table_lr) > LR_AGREEMENT_TOL * max(1.0, abs(table_lr)):
        return
    msg = (
        f"the bootstrap's null model reached LR {boot_lr:.4f}, the ladder's {table_lr:.4f}: "
        "its p-value is not that of the table's LR"
    )
    problems.append({"outcome": outcome, "model": model, "error": "LRMismatch", "message": msg})
    warnings.warn(f"{outcome} ({model}): {msg}", ConvergenceWarning, stacklevel=4)


def _wald_label(df: float) -> str:
    return "Wald z" if not np.isfinite(df) else f"Wald t, between-within df ({df:.0f})"


def _put_term_pvalues(e: pd.DataFrame, r: BootstrapLRTResult) -> None:
    """Write the bootstrap-t p-values of ``r`` (``pb_lrt(..., term_t=True)``) into the
    estimates ``e`` (``p_value`` and ``test`` of the restricted terms)."""
    assert r.term_pvalues is not None
    hit = e["term"].isin(r.term_pvalues.index).to_numpy()
    p = r.term_pvalues.loc[e.loc[hit, "term"]].to_numpy(dtype=float)
    e.loc[hit, "p_value"] = p
    e.loc[hit, "test"] = [
        r.term_test
        if np.isfinite(v)
        else f"{r.term_test}: not available, too few of {r.nsim} refits usable (separation)"
        for v in p
    ]


def _check_tests(term_test: str, block_test: str, nsim: int) -> None:
    if term_test not in TERM_TESTS:
        names = ", ".join(f"'{t}'" for t in TERM_TESTS[:-1]) + f" or '{TERM_TESTS[-1]}'"
        raise ValueError(f"term_test must be {names}, got {term_test!r}")
    if block_test not in ("bootstrap", "chi2"):
        raise ValueError(f"block_test must be 'bootstrap' or 'chi2', got {block_test!r}")
    if not isinstance(nsim, int | np.integer) or nsim < 1:
        raise ValueError(f"nsim must be a positive integer, got {nsim!r}")


def _fit_ladder(
    data: pd.DataFrame,
    outcome: str,
    ladder: list[tuple[str, list[str]]],
    nagq: int,
    backend: str,
    problems: list[dict],
    inst_terms: Sequence[str] = (),
    term_test: str = DEFAULT_TERM_TEST,
    block_test: str = DEFAULT_BLOCK_TEST,
    nsim: int = DEFAULT_NSIM,
    seed: int = 0,
    n_jobs: int = 1,
) -> tuple[list[dict], list[pd.DataFrame], dict]:
    allvars = _ladder_vars(outcome, ladder)
    complete = data[allvars].notna().all(axis=1)
    n_excl = int((~complete).sum())
    d = _standardise(data.loc[complete, allvars], ladder[-1][1])
    # The bootstrap needs the native fit's likelihood and optimum; other backends keep the
    # Wald and chi-square tests (and the ``test`` columns say so).
    native = backend == "native"
    ddf = "asymptotic" if term_test == "wald-z" else "between-within"
    # one random stream per outcome, whatever other outcomes are fitted
    ss = np.random.SeedSequence([seed, zlib.crc32(outcome.encode())])
    rows, ests, models = [], [], {}
    prev = None
    for name, terms in ladder:
        rhs = " + ".join(terms) if terms else "1"
        formula = f"{outcome} ~ {rhs} + (1 | {GROUP})"
        try:
            m = glmer(formula, d, nagq=nagq, backend=backend, ddf=ddf)
        except _FIT_ERRORS as err:
            # the larger models of this outcome would fail the same way or lack their LRT
            # reference; record the failure and keep what was fitted
            problems.append(
                {
                    "outcome": outcome,
                    "model": name,
                    "error": type(err).__name__,
                    "message": str(err),
                }
            )
            break
        models[(outcome, name)] = m
        t = lrt(prev, m) if prev is not None and m.llf is not None else None
        lrt_test = None if t is None else "LRT chi-square"
        e = m.to_frame()
        if "df" not in e:
            e["df"] = m.df.to_numpy()
        e["test"] = [_wald_label(v) for v in m.df.to_numpy()]
        inst_cols = _term_columns(list(m.params.index), [x for x in terms if x in inst_terms])
        # the ladder step that adds exactly the institution terms gets the block test
        added = set() if prev is None else set(m.params.index) - set(prev.params.index)
        block_step = t is not None and bool(inst_cols) and added == set(inst_cols)
        want_block = block_step and block_test == "bootstrap"
        if native and inst_cols and (want_block or term_test in ("bootstrap", "bootstrap-t")):
            design = m.design if m.design is not None else glmm_design(formula, d)
            if term_test == "bootstrap":
                pb = pb_lrt_terms(m, d, inst_cols, nsim=nsim, seed=ss, n_jobs=n_jobs, design=design)
                # no p-value where most refits failed (separation): say so in ``test``
                bad = pb["p_value"].isna()
                pb.loc[bad, "test"] = [
                    f"{lab}: not available, {int(n - u)} of {int(n)} refits failed (separation)"
                    for lab, n, u in zip(
                        pb.loc[bad, "test"], pb.loc[bad, "nsim"], pb.loc[bad, "n_used"], strict=True
                    )
                ]
                per = pb[pb["term"] != "block"].set_index("term")
                hit = e["term"].isin(per.index).to_numpy()
                e.loc[hit, "p_value"] = per.loc[e.loc[hit, "term"], "p_value"].to_numpy()
                e.loc[hit, "test"] = per.loc[e.loc[hit, "term"], "test"].to_numpy()
                blk = pb[pb["term"] == "block"].iloc[0]
                block_p, block_label = float(blk["p_value"]), str(blk["test"])
                _check_lr(float(blk["statistic"]), t, outcome, name, problems)
            else:
                boot_t = term_test == "bootstrap-t"
                r = pb_lrt(
                    m, d, inst_cols, nsim=nsim, seed=ss, n_jobs=n_jobs, design=design, term_t=boot_t
                )
                block_p, block_label = r.pvalue, r.test
                _check_lr(r.statistic, t, outcome, name, problems)
                if np.isnan(r.pvalue):
                    block_label += (
                        f": not available, {r.n_failed} of {r.nsim} refits failed (separation)"
                    )
                if boot_t:
                    _put_term_pvalues(e, r)
            if want_block and t is not None:
                t.loc[0, "p_value"] = block_p
                lrt_test = block_label
        if term_test == "gatekept" and block_step and t is not None:
            # closed testing: a term is significant only when its block is, p = max(p_block,
            # p_Wald t); a non-bootstrap block (other backends, block_test="chi2") gates with
            # the chi-square LRT, and the label says which
            block_p = float(t["p_value"].iloc[0])
            gate = lrt_test or "LRT chi-square"
            hit = e["term"].isin(inst_cols).to_numpy()
            wald = e.loc[hit, "p_value"].to_numpy(dtype=float)
            e.loc[hit, "p_value"] = np.maximum(wald, block_p)  # NaN block p -> NaN
            e.loc[hit, "test"] = [
                f"{lab}, gatekept by the block ({gate})" for lab in e.loc[hit, "test"]
            ]
        rows.append(
            {
                "outcome": outcome,
                "model": name,
                "nobs": m.nobs,
                "n_excluded": n_excl,
                "n_groups": m.extra.get("n_groups"),
                "llf": m.llf,
                "aic": m.aic,
                "bic": m.bic,
                "variance": float(m.variance_components.iloc[0]),
                "icc": m.icc,
                "median_odds_ratio": m.median_odds_ratio,
                "singular": m.convergence.singular,
                "penalized": bool(getattr(m, "penalized", False)),
                "lrt_statistic": np.nan if t is None else float(t["statistic"].iloc[0]),
                "lrt_df": np.nan if t is None else float(t["df"].iloc[0]),
                "lrt_p_value": np.nan if t is None else float(t["p_value"].iloc[0]),
                "lrt_test": lrt_test,
            }
        )
        e.insert(0, "model", name)
        e.insert(0, "outcome", outcome)
        with np.errstate(over="ignore"):  # separated terms: an infinite OR bound is the truth
            e["odds_ratio"] = np.exp(e["estimate"])
            e["or_low"] = np.exp(e["ci_low"])
            e["or_high"] = np.exp(e["ci_high"])
        if "flag" in e.columns:  # last, after the odds ratios: a text column
            e["flag"] = e.pop("flag")
        ests.append(e)
        prev = m
    return rows, ests, models


def _model_set(
    rows: list[dict],
    ests: list[pd.DataFrame],
    models: dict,
    problems: list[dict],
    aggregation: pd.DataFrame | None = None,
    accounting: list[dict] | None = None,
) -> ModelSet:
    prob = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    if not ests:
        raise ValueError(
            "no model could be fitted: "
            + "; ".join(f"{p['outcome']} ({p['model']}): {p['message']}" for p in problems)
        )
    return ModelSet(
        pd.DataFrame(rows),
        pd.concat(ests, ignore_index=True),
        models,
        aggregation,
        prob,
        pd.DataFrame(accounting or [], columns=list(ACCOUNT_COLUMNS)),
    )


def facilitation_models(
    prisoners: pd.DataFrame,
    professionals: pd.DataFrame,
    types: Sequence[str] | None = None,
    controls: Sequence[str] | None = None,
    scores: Sequence[str] | None = None,
    nagq: int = 1,
    backend: str = "native",
    term_test: TermTest = DEFAULT_TERM_TEST,
    block_test: BlockTest = DEFAULT_BLOCK_TEST,
    nsim: int = DEFAULT_NSIM,
    seed: int = 0,
    n_jobs: int = 1,
) -> ModelSet:
    """Null, individual and institutional two-level models of contact, per external type.

    Parameters
    ----------
    prisoners : pandas.DataFrame
        Canonical prisoners table (``institution_id``, ``contact_<type>``, controls).
    professionals : pandas.DataFrame
        Canonical professionals table (``institution_id`` and the rating columns).
    types : sequence of str, optional
        Professional types; default ``cb.external_types``.
    controls : sequence of str, optional
        Individual controls; default :data:`DEFAULT_CONTROLS` that are present in ``prisoners``.
    scores : sequence of str, optional
        Institution scores; default ``cb.facilitation_scores``.
    nagq, backend
        Passed to :func:`glmer`.
    term_test : {"bootstrap", "bootstrap-t", "gatekept", "wald-t", "wald-z"}
        Test of each institution score: the parametric-bootstrap LRT of dropping the score
        (default: within 3.5%-6.5% on 200 twins, see ``benchmarks/README.md``; five
        bootstraps more per outcome); ``"bootstrap-t"``, the parametric bootstrap-t on the
        block bootstrap's replicates (simulated under the individual model, where every
        institution term is 0): each score's Wald t, with the SE given theta, against its
        ``t*`` in the replicates, ``p = (1 + #{|t*| >= |t|}) / (1 + B)``, at the cost of the
        block bootstrap alone (the report's choice; the ``test`` column says
        ``"parametric bootstrap-t under the block null (B)"``); ``"gatekept"``, the Wald t
        gated by the block test, ``p = max(p_block, p_Wald t)`` (closed testing: valid
        whenever the block test is, but conservative, about 2% on the twins); Wald t on
        between-within df, or lme4's Wald z (both anti-conservative with 26 institutions;
        kept for comparison). ``ci_low``/``ci_high`` are Wald t (between-within df)
        intervals whatever the test.
    block_test : {"bootstrap", "chi2"}
        Test of the block of scores (institutional vs individual model): the parametric
        bootstrap LRT (default) or the chi-square LRT (anti-conservative with 26 institutions).
    nsim, seed, n_jobs
        Bootstrap replicates, seed (results depend on it, not on ``n_jobs``) and joblib
        workers; see :func:`reintegratie_stats.multilevel.bootstrap.pb_lrt`.

    Returns
    -------
    ModelSet
        ``table`` with models ``null`` -> ``individual`` -> ``institutional`` per outcome
        ``contact_<type>``, ``estimates`` with odds ratios, the fitted ``models`` and the
        ``aggregation`` statistics.
    """
    _check_tests(term_test, block_test, nsim)
    cb = load_codebook()
    types = list(types or cb.external_types)
    scores = list(scores or cb.facilitation_scores)
    if controls is None:
        controls = [c for c in DEFAULT_CONTROLS if c in prisoners.columns]
    controls = list(controls)
    _check_cols(prisoners, [GROUP, *controls, *[f"contact_{t}" for t in types]], "prisoners")
    inst = institution_scores(professionals, scores)
    data = join_scores(prisoners, inst[[GROUP, *scores]])
    ladder = [("null", []), ("individual", controls), ("institutional", controls + scores)]
    rows, ests, models, problems, acc = [], [], {}, [], []
    for t in types:
        r, e, m = _fit_ladder(
            data,
            f"contact_{t}",
            ladder,
            nagq,
            backend,
            problems,
            scores,
            term_test,
            block_test,
            nsim,
            seed,
            n_jobs,
        )
        rows += r
        ests += e
        models.update(m)
        acc += _account(data, f"contact_{t}", ladder, m, [("input_rows", len(prisoners))])
    return _model_set(rows, ests, models, problems, aggregation_stats(professionals, scores), acc)


def family_outcomes(prisoners: pd.DataFrame) -> pd.DataFrame:
    """0/1 family-contact outcomes: ``any_visits_children`` (visits_children > 0),
    ``any_video_calls`` (video_calls_month > 0) and ``parent_child_day`` (as is); a new frame."""
    _check_cols(
        prisoners, ["visits_children", "video_calls_month", "parent_child_day"], "prisoners"
    )
    out = prisoners.copy()
    for new, src in (
        ("any_visits_children", "visits_children"),
        ("any_video_calls", "video_calls_month"),
    ):
        out[new] = (out[src] > 0).astype(float).where(out[src].notna())
    return out


def family_models(
    prisoners: pd.DataFrame,
    institutions: pd.DataFrame,
    facilities: Sequence[str] | None = None,
    controls: Sequence[str] | None = None,
    outcomes: Sequence[str] = ("any_visits_children", "any_video_calls", "parent_child_day"),
    nagq: int = 1,
    backend: str = "native",
    term_test: TermTest = DEFAULT_TERM_TEST,
    block_test: BlockTest = DEFAULT_BLOCK_TEST,
    nsim: int = DEFAULT_NSIM,
    seed: int = 0,
    n_jobs: int = 1,
) -> ModelSet:
    """Institution family facilities -> family contact, among prisoners with children.

    Parameters
    ----------
    prisoners : pandas.DataFrame
        Canonical prisoners (``has_children``, ``visits_children``, ``video_calls_month``,
        ``parent_child_day``).
    institutions : pandas.DataFrame
        Canonical institutions with the facilities (default ``cb.family_facilities``).
    facilities, controls, outcomes, nagq, backend, term_test, block_test, nsim, seed, n_jobs
        As :func:`facilitation_models` (the facilities are the institution-level terms);
        ``outcomes`` from :func:`family_outcomes`.

    Returns
    -------
    ModelSet
        ``null`` -> ``individual`` -> ``institutional`` (facilities) per outcome;
        ``table["n_excluded"]`` counts rows with children but a missing model variable.
    """
    _check_tests(term_test, block_test, nsim)
    cb = load_codebook()
    facilities = list(facilities or cb.family_facilities)
    _check_cols(prisoners, [GROUP, "has_children"], "prisoners")
    _check_cols(institutions, [GROUP, *facilities], "institutions")
    if controls is None:
        controls = [c for c in DEFAULT_CONTROLS if c in prisoners.columns]
    controls = list(controls)
    with_children = prisoners[prisoners["has_children"] == 1]
    hc = prisoners["has_children"]
    before = [  # the family models start from every prisoner: the parents are a subgroup
        ("input_rows", len(prisoners)),
        ("missing has_children", int(hc.isna().sum())),
        ("no minor children (has_children != 1)", int((hc.notna() & (hc != 1)).sum())),
    ]
    if with_children.empty:
        raise ValueError("no prisoners with has_children == 1: the family models need parents")
    data = family_outcomes(with_children)
    data = join_scores(data, institutions[[GROUP, *facilities]])
    # facilities that do not vary across the institutions used cannot be estimated
    used = data[GROUP].unique()
    inst = institutions[institutions[GROUP].isin(used)]
    constant = [f for f in facilities if inst[f].nunique(dropna=True) < 2]
    if constant:
        raise ValueError(
            f"family facilities {constant} do not vary across the institutions; drop them"
        )
    ladder = [("null", []), ("individual", controls), ("institutional", controls + facilities)]
    rows, ests, models, problems, acc = [], [], {}, [], []
    for o in outcomes:
        r, e, m = _fit_ladder(
            data,
            o,
            ladder,
            nagq,
            backend,
            problems,
            facilities,
            term_test,
            block_test,
            nsim,
            seed,
            n_jobs,
        )
        rows += r
        ests += e
        models.update(m)
        acc += _account(data, o, ladder, m, [b for b in before if b[1] or b[0] == "input_rows"])
    return _model_set(rows, ests, models, problems, accounting=acc)
