"""Design-based (survey) estimation for weighted chapter-2/3 analyses, as R's ``survey`` package.

The DPVS sample is clustered: prisoners are sampled and answer within 26 institutions, and
prisoners of one institution resemble each other (same staff, same regime, same partners
outside). Kish's effective sample size corrects for unequal weights only, not for this
clustering; on the twin with random weights the casemanager rate's clustered standard error is
about twice the Kish one (design effect ~4, see ``docs/design_based.md``). This module is the
weighted default of :mod:`~reintegratie_stats.descriptives` and
:mod:`~reintegratie_stats.bivariate` (``weights_method="design"``); Kish stays available as
``weights_method="kish"``.

The design
----------
:func:`survey_design` is ``survey::svydesign(ids = ~institution_id, strata = ~<strata>,
weights = ~weight)``: the institutions are the primary sampling units (PSUs), drawn with
replacement within strata (no finite-population correction: the with-replacement
approximation R uses when no ``fpc`` is given). Variances are Taylor-linearised:
``var = sum_h n_h / (n_h - 1) * sum_i (z_hi - mean_h z)^2`` over the PSU totals ``z_hi`` of
the estimator's influence values, ``n_h`` PSUs in stratum ``h``.

Domains (``svyby``)
-------------------
An estimate for a group (a regime, "has a need", "answered the question") is a *domain*
estimate on the full design, as ``svyby`` and ``subset()`` do: every PSU of the design enters
the variance, and PSUs without a member of the group contribute zero (the group's size per
institution is random, and an institution with none of its members is information). The
domain is given by the index of the series passed: rows of the design outside it contribute
zero.

Degrees of freedom and intervals
--------------------------------
``df`` is ``survey::degf()`` of the domain: the number of PSUs with a member of the domain
minus the number of strata with one (25 for 26 unstratified institutions). Every interval is
t-based on these ``df``:

- proportions: ``svyciprop(method = "logit")``, the survey default: a Wald interval for
  ``logit(p)`` with ``se(p) / (p (1 - p))`` and the t quantile, back-transformed. It stays
  inside (0, 1) and is asymmetric near 0 and 1, where the symmetric ``"mean"`` interval
  crosses the bounds in small groups. ``"xlogit"`` (the delta method on ``svymean``) gives
  the same numbers for a proportion; ``"mean"`` is available. A rate of exactly 0 or 1 has
  no logit interval (NaN);
- means (satisfaction 1-5): ``svymean`` with ``confint(..., df = degf(domain))``;
- odds ratios: ``svyglm(y ~ x, family = quasibinomial)`` on the domain, Wald interval on the
  log scale with ``confint``'s ``df.residual = degf + 1 - 2``;
- tests of independence: :func:`svychisq`, the Rao-Scott corrections of Pearson's X^2 on
  the weighted table: ``statistic="F"`` (the default, second order: ``F = X^2 / tr(Delta)``
  on ``(d, d * nu)`` degrees of freedom, ``d = tr(Delta)^2 / tr(Delta^2)``, ``nu`` the
  design df) and ``statistic="Chisq"`` (first order: ``X^2 / mean(eigenvalues of Delta)`` on
  ``(r - 1)(c - 1)`` df). Fisher's exact test has no design-based version; small cells are
  flagged by ``min_expected`` in the tidy tables, not replaced by an exact test.

Every function is checked against R's survey 4.1 in ``tests/test_design_based.py``
(``tests/reference/survey_twin.R``) to 1e-6 relative.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"institution_id": np.repeat(np.arange(10), 30),
...                    "weight": rng.uniform(0.5, 2, 300),
...                    "y": rng.binomial(1, 0.4, 300).astype(float)})
>>> des = survey_design(df, weight="weight")
>>> des.n_psu, des.df
(10, 9)
>>> r = svyciprop(df["y"], des)
>>> round(r["rate"], 4) == round(float(np.average(df["y"], weights=df["weight"])), 4)
True
>>> r["ci_low"] < r["rate"] < r["ci_high"]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "CIPROP_METHODS",
    "DEFAULT_CLUSTER",
    "WEIGHTS_METHODS",
    "SurveyDesign",
    "design_association",
    "design_for",
    "design_rates",
    "odds_ratio",
    "svychisq",
    "svyciprop",
    "svymean",
    "survey_design",
]

#: The study's primary sampling unit: institutions (SPEC §6 canonical name).
DEFAULT_CLUSTER = "institution_id"

WeightsMethod = Literal["design", "kish"]
#: ``"design"``: clustered Taylor linearisation (default); ``"kish"``: Kish effective n.
WEIGHTS_METHODS: tuple[str, ...] = ("design", "kish")
CIPropMethod = Literal["logit", "xlogit", "mean"]
CIPROP_METHODS: tuple[str, ...] = ("logit", "xlogit", "mean")
ChisqStatistic = Literal["F", "Chisq"]
_CHISQ_STATISTICS = ("F", "Chisq")


@dataclass(frozen=True)
class SurveyDesign:
    """A with-replacement, optionally stratified, one-stage cluster design.

    Build with :func:`survey_design`. Rows are identified by the index of the frame it was
    built from; only rows with a positive weight belong to the design.

    Attributes
    ----------
    weights : Series
        Sampling weights (positive), indexed by row label.
    psu : Series
        PSU code (0 .. n_psu - 1) of each row; PSUs are nested in strata.
    psu_stratum : ndarray
        Stratum code of each PSU.
    cluster, strata, weight : str or None
        The column names the design was built from (None: each row its own PSU / one
        stratum / unit weights).
    """

    weights: pd.Series
    psu: pd.Series
    psu_stratum: np.ndarray
    cluster: str | None
    strata: str | None
    weight: str | None

    @property
    def n_psu(self) -> int:
        """Number of PSUs in the design."""
        return int(self.psu_stratum.size)

    @property
    def n_strata(self) -> int:
        return int(np.unique(self.psu_stratum).size)

    @property
    def df(self) -> int:
        """Design degrees of freedom, ``survey::degf``: PSUs minus strata."""
        return self.n_psu - self.n_strata

    @property
    def label(self) -> str:
        """Short description for ``ci_method`` / ``test`` labels."""
        return f"clusters: {self.cluster}" if self.cluster else "no clusters"

    @property
    def description(self) -> str:
        """One sentence for a report's notes."""
        parts = [
            f"Design-based (Taylor linearisation): {self.n_psu} PSUs"
            + (f" ({self.cluster})" if self.cluster else " (rows)"),
            f"{self.n_strata} strata ({self.strata})" if self.strata else "no strata",
            f"weights {self.weight}" if self.weight else "unit weights",
            f"with replacement, df = {self.df}",
        ]
        return ", ".join(parts) + "."

    def _rows(self, index: pd.Index) -> np.ndarray:
        """PSU codes of the domain rows; raises if a row is not part of the design."""
        codes = self.psu.reindex(index)
        if codes.isna().any():
            bad = list(index[codes.isna().to_numpy()][:5])
            raise ValueError(
                f"rows {bad} are not in the survey design (missing or zero weight, or "
                "not in the frame the design was built from)"
            )
        return codes.to_numpy(dtype=np.int64)

    def degf(self, index: pd.Index) -> int:
        """``degf(subset(design, domain))``: PSUs with a domain member minus their strata."""
        codes = np.unique(self._rows(index))
        return int(codes.size - np.unique(self.psu_stratum[codes]).size)

    def psu_cov(self, u: np.ndarray, index: pd.Index) -> np.ndarray:
        """Linearised covariance of the totals of the influence values ``u`` (rows x k).

        Rows of the design outside ``index`` contribute zero; every PSU of the design
        counts (domain estimation as ``svyby``).
        """
        u2 = np.asarray(u, dtype=float).reshape(len(index), -1)
        tot = np.zeros((self.n_psu, u2.shape[1]))
        np.add.at(tot, self._rows(index), u2)
        cov = np.zeros((u2.shape[1], u2.shape[1]))
        for h in np.unique(self.psu_stratum):
            z = tot[self.psu_stratum == h]
            n_h = z.shape[0]
            if n_h < 2:
                raise ValueError(
                    f"stratum {h} of {self.strata!r} has only one PSU: its variance cannot "
                    "be estimated (survey's lonely-PSU error); merge it with another stratum"
                )
            z = z - z.mean(axis=0)
            cov += n_h / (n_h - 1) * (z.T @ z)
        return cov


def survey_design(
    df: pd.DataFrame,
    weight: str | None = None,
    cluster: str | None = DEFAULT_CLUSTER,
    strata: str | None = None,
) -> SurveyDesign:
    """``svydesign(ids = ~cluster, strata = ~strata, weights = ~weight)`` on ``df``.

    Parameters
    ----------
    df : DataFrame
    weight : str, optional
        Sampling-weight column (None: unit weights). Rows with a missing or zero weight are
        not part of the design; negative weights raise.
    cluster : str or None
        PSU column, by default ``institution_id``; None makes every row its own PSU
        (``ids = ~1``). A missing PSU id raises.
    strata : str, optional
        Stratum column; PSU ids are nested in strata (as ``nest = TRUE``).

    Returns
    -------
    SurveyDesign

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"institution_id": ["a", "a", "b", "c"], "w": [1.0, 2.0, 1.0, 0.0]})
    >>> des = survey_design(d, weight="w")
    >>> des.n_psu, des.df, len(des.weights)
    (2, 1, 3)
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    for role, col in (("weight", weight), ("cluster", cluster), ("strata", strata)):
        if col is not None and col not in df.columns:
            raise ValueError(f"{role} column {col!r} not in the data frame")
    if weight is None:
        w = pd.Series(1.0, index=df.index)
    else:
        w = pd.to_numeric(df[weight], errors="coerce").astype(float)
        if (df[weight].notna() & w.isna()).any():
            raise ValueError(f"weight column {weight!r} must be numeric")
        if (w < 0).any() or np.isinf(w).any():
            raise ValueError(f"weight column {weight!r} has negative or infinite values")
    keep = (w > 0).fillna(False).to_numpy()
    d = df.loc[keep]
    w = w[keep]
    if d.empty:
        raise ValueError("no rows with a positive weight: the survey design is empty")
    for role, col in (("cluster", cluster), ("strata", strata)):
        if col is not None and d[col].isna().any():
            raise ValueError(
                f"{role} column {col!r} has {int(d[col].isna().sum())} missing value(s) among "
                "the weighted rows; every respondent needs a PSU and stratum"
            )
    st = (
        pd.Series(0, index=d.index)
        if strata is None
        else pd.Series(pd.factorize(d[strata], sort=True)[0], index=d.index)
    )
    ids = pd.Series(np.arange(len(d)), index=d.index) if cluster is None else d[cluster]
    pair = pd.MultiIndex.from_arrays([st.to_numpy(), ids.to_numpy()])
    codes, uniq = pd.factorize(pair, sort=True)
    psu_stratum = np.asarray(uniq.get_level_values(0), dtype=np.int64)
    return SurveyDesign(
        weights=w,
        psu=pd.Series(codes.astype(np.int64), index=d.index),
        psu_stratum=psu_stratum,
        cluster=cluster,
        strata=strata,
        weight=weight,
    )


def design_for(
    d: pd.DataFrame,
    *,
    weight: str | None,
    cluster: str | None = None,
    strata: str | None = None,
    weights_method: str = "design",
    linearization: bool = False,
) -> SurveyDesign | None:
    """The design the tidy chapter-2/3 functions use, or None for the non-design paths.

    A design is built when the analysis is weighted and ``weights_method="design"`` (then
    ``cluster=None`` means ``institution_id``), or when ``linearization`` is asked for
    explicitly (then ``cluster=None`` means no clusters, and unweighted means unit weights).
    Build it on the frame *before* restricting to a subpopulation, so that domains keep
    every PSU.
    """
    if weights_method not in WEIGHTS_METHODS:
        raise ValueError(f"weights_method must be one of {WEIGHTS_METHODS}, got {weights_method!r}")
    if linearization:
        return survey_design(d, weight, cluster, strata)
    if weight is None or weights_method == "kish":
        return None
    cl = DEFAULT_CLUSTER if cluster is None else cluster
    if cl not in d.columns:
        raise ValueError(
            f"design-based weighted estimates need the cluster column {cl!r} (the PSUs, "
            "the institutions); pass cluster=<column>, or weights_method='kish' to ignore "
            "the clustering"
        )
    return survey_design(d, weight, cl, strata)


def design_attrs(design: SurveyDesign | None) -> dict[str, Any]:
    """Extra ``attrs`` for a tidy result: the design's description (nothing without one)."""
    return {} if design is None else {"design": design.description}


def _domain(y: pd.Series | np.ndarray, design: SurveyDesign) -> tuple[np.ndarray, pd.Index]:
    if not isinstance(y, pd.Series):
        y = pd.Series(np.asarray(y, dtype=float), index=design.weights.index)
    yv = y.to_numpy(dtype=float)
    if np.isnan(yv).any():
        raise ValueError(
            f"{y.name or 'variable'} has missing values: pass the domain of respondents "
            "(complete cases) only"
        )
    return yv, y.index


def svymean(y: pd.Series | np.ndarray, design: SurveyDesign) -> dict[str, float]:
    """Weighted (Hajek) mean of ``y`` over its domain, with its linearised standard error.

    ``y`` is a Series indexed by rows of the design (the domain); an array is taken as the
    whole design.

    Returns
    -------
    dict with ``estimate, se, df, n, deff, kish_n`` (``deff`` against simple random sampling
    with replacement, R's ``deff = "replace"``; ``kish_n`` the Kish effective n).
    """
    yv, idx = _domain(y, design)
    n = yv.size
    if n == 0:
        return {k: np.nan for k in ("estimate", "se", "df", "deff", "kish_n")} | {"n": 0}
    w = design.weights.reindex(idx).to_numpy()
    design._rows(idx)
    big_w = w.sum()
    est = float(w @ yv / big_w)
    var = float(design.psu_cov(w * (yv - est) / big_w, idx)[0, 0])
    s2 = float(w @ (yv - est) ** 2 / big_w) * n / (n - 1) if n > 1 else np.nan
    var_srs = s2 / n
    return {
        "estimate": est,
        "se": float(np.sqrt(var)),
        "df": float(design.degf(idx)),
        "n": int(n),
        "deff": var / var_srs if var_srs > 0 else np.nan,
        "kish_n": float(big_w**2 / (w @ w)),
    }


def _tq(alpha: float, df: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    return float(stats.t.ppf(1 - alpha / 2, df)) if df > 0 else np.nan


def svyciprop(
    y: pd.Series | np.ndarray,
    design: SurveyDesign,
    method: CIPropMethod = "logit",
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Design-based proportion and interval, as ``svyciprop(~y, subset(design, domain))``.

    Parameters
    ----------
    y : Series of 0/1
        The domain's values (index: rows of the design).
    design : SurveyDesign
    method : {"logit", "xlogit", "mean"}
        ``"logit"`` (survey's default) and ``"xlogit"`` give the same interval for a
        proportion; ``"mean"`` is the symmetric Wald interval (may leave [0, 1]).
    alpha : float

    Returns
    -------
    dict with ``rate, se, ci_low, ci_high, df, n, deff, effective_n, kish_se, ci_method``:
    ``effective_n = p (1 - p) / se^2`` (the design-effective sample size), ``kish_se`` the
    standard error Kish's effective n would give, for comparison.
    """
    if method not in CIPROP_METHODS:
        raise ValueError(f"method must be one of {CIPROP_METHODS}, got {method!r}")
    yv, _ = _domain(y, design)
    if yv.size and not np.isin(yv, (0.0, 1.0)).all():
        raise ValueError(f"{getattr(y, 'name', None) or 'y'} must be 0/1 for a proportion")
    m = svymean(y, design)
    p, se, df = m["estimate"], m["se"], m["df"]
    q = _tq(alpha, df) if m["n"] else np.nan
    lo = hi = np.nan
    if m["n"] and 0 < p < 1 and se > 0:
        if method == "mean":
            lo, hi = p - q * se, p + q * se
        else:
            eta, s = np.log(p / (1 - p)), se / (p * (1 - p))
            lo, hi = (float(1 / (1 + np.exp(-(eta + sgn * q * s)))) for sgn in (-1, 1))
    var = se**2
    return {
        "rate": p,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "df": df,
        "n": m["n"],
        "deff": m["deff"],
        "effective_n": float(p * (1 - p) / var) if var > 0 else np.nan,
        "kish_se": float(np.sqrt(p * (1 - p) / m["kish_n"])) if m["n"] else np.nan,
        "ci_method": f"{method} (design-based, {design.label})",
    }


def mean_ci(y: pd.Series, design: SurveyDesign, alpha: float = 0.05) -> dict[str, float]:
    """``confint(svymean(~y, subset(design, domain)), df = degf(...))``: mean and t interval.

    Returns
    -------
    dict with ``mean, se, ci_low, ci_high, df``.
    """
    m = svymean(y, design)
    half = _tq(alpha, m["df"]) * m["se"] if m["n"] else np.nan
    return {
        "mean": m["estimate"],
        "se": m["se"],
        "ci_low": m["estimate"] - half,
        "ci_high": m["estimate"] + half,
        "df": m["df"],
    }


def _levels(v: np.ndarray) -> list[Any]:
    u = pd.unique(v).tolist()
    try:
        return sorted(u)
    except TypeError:
        return u


def svychisq(
    x: pd.Series,
    y: pd.Series,
    design: SurveyDesign,
    statistic: ChisqStatistic = "F",
) -> dict[str, Any]:
    """Rao-Scott test of independence of ``x`` and ``y``, as ``survey::svychisq``.

    ``x`` and ``y`` share one index: the domain (complete cases). Levels are the values
    observed in the domain.

    Parameters
    ----------
    x, y : Series
    design : SurveyDesign
    statistic : {"F", "Chisq"}
        ``"F"`` (default): second-order correction, ``F = X^2 / tr(Delta)`` on
        ``(d, d * nu)`` df. ``"Chisq"``: first-order, ``X^2 / mean(delta)`` on
        ``(r - 1)(c - 1)`` df. ``X^2`` is Pearson's statistic on the weighted table rescaled
        to the domain's sample size; ``Delta`` the generalised design-effect matrix.

    Returns
    -------
    dict with ``test, statistic, ndf, ddf, p_value, chisq, mean_deff``; ``statistic`` is
    the F (``"F"``) or the adjusted chi-square (``"Chisq"``; R prints the unadjusted ``X^2``,
    here ``chisq``); ``ddf`` is NaN for ``"Chisq"``. ``test`` is ``"not testable"`` with
    fewer than two levels of either variable.
    """
    if statistic not in _CHISQ_STATISTICS:
        raise ValueError(f"statistic must be one of {_CHISQ_STATISTICS}, got {statistic!r}")
    if not x.index.equals(y.index):
        raise ValueError("x and y must have the same index (the domain rows)")
    xv, yv = x.to_numpy(), y.to_numpy()
    if pd.isna(xv).any() or pd.isna(yv).any():
        raise ValueError("svychisq needs complete cases: drop rows with a missing x or y first")
    out: dict[str, Any] = {
        "test": "not testable",
        "statistic": np.nan,
        "ndf": np.nan,
        "ddf": np.nan,
        "p_value": np.nan,
        "chisq": np.nan,
        "mean_deff": np.nan,
    }
    xl, yl = _levels(xv), _levels(yv)
    nr, nc = len(xl), len(yl)
    if nr < 2 or nc < 2:
        return out
    n = xv.size
    ri = pd.Index(xl).get_indexer(xv)
    ci = pd.Index(yl).get_indexer(yv)
    cell = ri + nr * ci  # R's interaction(): the row factor varies fastest
    mm = np.zeros((n, nr * nc))
    mm[np.arange(n), cell] = 1.0
    w = design.weights.reindex(x.index).to_numpy()
    design._rows(x.index)
    big_w = w.sum()
    mean2 = w @ mm / big_w
    v = design.psu_cov(w[:, None] * (mm - mean2) / big_w, x.index)
    nu = design.degf(x.index)
    # the interaction contrasts, orthogonalised against the main-effects design (Cmat in R)
    rows, cols = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(nr * nc)]
        + [(rows == i).astype(float) for i in range(1, nr)]
        + [(cols == j).astype(float) for j in range(1, nc)]
    )
    x12 = np.column_stack(
        [((rows == i) & (cols == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    cmat = x12 - x1 @ np.linalg.lstsq(x1, x12, rcond=None)[0]
    inv_d = np.where(mean2 == 0, 0.0, 1.0 / np.where(mean2 == 0, 1.0, mean2))
    denom = (cmat.T * (inv_d / n)) @ cmat
    numr = (cmat.T * inv_d) @ v @ (inv_d[:, None] * cmat)
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr**2 / float(np.trace(delta @ delta))
    table = (w @ mm).reshape((nr, nc), order="F")
    table = table * n / table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    pos = expected > 0
    x2 = float(np.sum((table[pos] - expected[pos]) ** 2 / expected[pos]))
    k = delta.shape[0]
    out.update(chisq=x2, mean_deff=tr / k)
    if statistic == "F":
        f = x2 / tr
        p = float(stats.f.sf(f, d0, d0 * nu)) if nu > 0 else np.nan
        out.update(test="rao-scott F", statistic=f, ndf=d0, ddf=d0 * nu, p_value=p)
    else:
        adj = x2 / (tr / k)
        out.update(
            test="rao-scott chi2", statistic=adj, ndf=float(k), p_value=float(stats.chi2.sf(adj, k))
        )
    return out


def odds_ratio(
    x: pd.Series, y: pd.Series, design: SurveyDesign, alpha: float = 0.05
) -> dict[str, Any]:
    """Odds ratio of the 0/1 outcome ``y`` for ``x = 1`` vs ``0``, as ``svyglm`` logistic.

    ``exp(coef)`` and ``exp(confint(...))`` of ``svyglm(y ~ x, subset(design, domain),
    family = quasibinomial)``: for one binary predictor the coefficient is
    ``logit(p1) - logit(p0)`` of the two domain shares and its sandwich variance their
    linearised variance; the t quantile has ``degf - 1`` df (R's ``df.residual``).

    Returns
    -------
    dict with ``odds_ratio, ci_low, ci_high, log_or_se, df``; all NaN when a share is 0 or
    1 (a zero cell: the odds ratio is not estimable on the design).
    """
    if not x.index.equals(y.index):
        raise ValueError("x and y must have the same index (the domain rows)")
    xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    w = design.weights.reindex(x.index).to_numpy()
    nan = {"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "log_or_se": np.nan}
    e1, e0 = xv == 1, xv == 0
    w1, w0 = w[e1].sum(), w[e0].sum()
    if w1 == 0 or w0 == 0:
        return nan | {"df": np.nan}
    p1, p0 = w[e1] @ yv[e1] / w1, w[e0] @ yv[e0] / w0
    df = float(design.degf(x.index) - 1)
    if not (0 < p1 < 1 and 0 < p0 < 1):
        return nan | {"df": df}
    z = np.where(e1, w * (yv - p1) / w1 / (p1 * (1 - p1)), -w * (yv - p0) / w0 / (p0 * (1 - p0)))
    se = float(np.sqrt(design.psu_cov(z, x.index)[0, 0]))
    log_or = float(np.log(p1 / (1 - p1)) - np.log(p0 / (1 - p0)))
    q = _tq(alpha, df)
    return {
        "odds_ratio": float(np.exp(log_or)),
        "ci_low": float(np.exp(log_or - q * se)),
        "ci_high": float(np.exp(log_or + q * se)),
        "log_or_se": se,
        "df": df,
    }


def design_association(
    base: dict[str, Any],
    x: pd.Series,
    y: pd.Series,
    design: SurveyDesign,
    alpha: float = 0.05,
    statistic: ChisqStatistic = "F",
) -> dict[str, Any]:
    """Replace the Kish-based test and odds-ratio interval of a 2x2 result by design-based ones.

    ``base`` is the weighted :func:`~reintegratie_stats.stats_util.association_2x2` dict of
    the same rows (counts, weighted shares, phi, Cramér's V, ``min_expected`` stay). The test
    becomes :func:`svychisq` and the odds ratio :func:`odds_ratio`; with a zero cell the
    Haldane-corrected weighted odds ratio and its Kish interval stay, and ``or_correction``
    says so. ``dof`` holds the F test's numerator df (``ndf``).
    """
    out = dict(base)
    if base.get("test") == "not testable":
        return out
    t = svychisq(x, y, design, statistic)
    label = f"{t['test']} (design-based, {design.label})"
    out.update(test=label, statistic=t["statistic"], dof=t["ndf"], p_value=t["p_value"])
    orr = odds_ratio(x, y, design, alpha)
    if np.isfinite(orr["odds_ratio"]):
        out.update(
            odds_ratio=orr["odds_ratio"],
            ci_low=orr["ci_low"],
            ci_high=orr["ci_high"],
            or_correction="none",
        )
    elif out.get("or_correction") == "haldane":
        out["or_correction"] = "haldane (Kish-rescaled interval)"
    return out


def design_rates(
    df: pd.DataFrame,
    variables: Sequence[str],
    by: str | Sequence[str] | None = None,
    *,
    weight: str | None = None,
    cluster: str | None = DEFAULT_CLUSTER,
    strata: str | None = None,
    method: CIPropMethod = "logit",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """``svyby(~v, ~by, design, svyciprop)`` for each 0/1 column ``v``: one tidy row per group.

    Rows with a missing value of ``v`` are outside that estimate's domain; rows with a
    missing ``by`` value are outside every group. Counts are unweighted; groups in sorted
    order.

    Returns
    -------
    DataFrame
        Columns ``[*by, "variable", "n", "n_psu", "rate", "se", "ci_low", "ci_high", "df",
        "deff", "effective_n", "kish_se", "ci_method"]``; ``n_psu`` is the number of PSUs
        with a member of the group, ``df`` the interval's degrees of freedom.

    Examples
    --------
    >>> from reintegratie_stats.synth import load_example
    >>> p = load_example().prisoners
    >>> r = design_rates(p, ["contact_casemanager"], by="regime", weight="weight")
    >>> isd = r.set_index("regime").loc["ISD"]  # ISD is held in 5 of the 26 institutions
    >>> int(isd["n_psu"]), int(isd["df"])
    (5, 4)
    """
    byl = [] if by is None else ([by] if isinstance(by, str) else list(by))
    absent = [c for c in [*variables, *byl] if c not in df.columns]
    if absent:
        raise ValueError(f"column(s) not in the data frame: {absent}")
    des = survey_design(df, weight, cluster, strata)
    d = df.loc[des.weights.index]
    keyed = d.dropna(subset=byl) if byl else d
    groups = [((), keyed)] if not byl else list(keyed.groupby(byl, sort=True, observed=True))
    rows = []
    for key, sub in groups:
        kt = key if isinstance(key, tuple) else (key,)
        for v in variables:
            y = pd.to_numeric(sub[v], errors="coerce").dropna().astype(float)
            y.name = v
            r = svyciprop(y, des, method, alpha)
            n_psu = int(np.unique(des.psu.reindex(y.index)).size)
            rows.append({**dict(zip(byl, kt, strict=True)), "variable": v, "n_psu": n_psu, **r})
    cols = [
        *byl,
        "variable",
        "n",
        "n_psu",
        "rate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "effective_n",
        "kish_se",
        "ci_method",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out.attrs = {"design": des.description, "n_rows": len(df)}
    return out
