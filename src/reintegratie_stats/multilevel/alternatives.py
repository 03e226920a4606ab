"""Other estimators of the same question: Bayes approximation, GEE, plain GLM, linear mixed model.

* :func:`glmer_bayes` -- statsmodels ``BinomialBayesMixedGLM`` fitted by variational Bayes
  (``fit_vb``): an approximation (posterior means and SDs under N(0, 2^2)-type priors), not
  maximum likelihood; it has no log-likelihood, so ``llf``/``aic`` are NaN.
* :func:`gee` -- population-averaged logistic GEE with an exchangeable working correlation and
  robust (sandwich) SEs: the robustness model. Its coefficients are marginal, so they are
  smaller in size than the conditional GLMM coefficients by about ``1/sqrt(1 + 0.346 var_u)``.
* :func:`glm` -- the logistic model without a random intercept (the small model when testing the
  variance with :func:`reintegratie_stats.multilevel.lrt`).
* :func:`lmer` -- linear random-intercept model (statsmodels ``MixedLM``, REML or ML), or lme4.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

from ..results import ConvergenceInfo, ConvergenceWarning, ModelResults
from .design import glmm_design
from .formula import parse_formula
from .results import GLMMResult, ranef_frame

__all__ = ["glmer_bayes", "gee", "glm", "lmer"]


def _complete(formula: str, data: pd.DataFrame, extra: list[str] | None = None):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    pf = parse_formula(formula)
    cols = pf.variables(data.columns) + [c for c in (extra or []) if c in data.columns]
    cols = list(dict.fromkeys(cols))
    for c in [pf.response, *(extra or [])]:
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in the data")
    miss = data[cols].isna()
    excl = {c: int(n) for c, n in miss.sum().items() if n > 0}
    keep = ~miss.any(axis=1).to_numpy()
    return pf, data.loc[keep], int((~keep).sum()), excl


def _excl_note(n: int, by: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"n_excluded": n, "excluded_by": by}
    if n:
        out["rows excluded (missing values)"] = (
            f"{n} ({', '.join(f'{c}: {k}' for c, k in by.items())})"
        )
    return out


def glmer_bayes(formula: str, data: pd.DataFrame) -> GLMMResult:
    """Random-intercept logit by statsmodels' variational Bayes (an approximation).

    Parameters
    ----------
    formula : str
        lme4 syntax with exactly one ``(1 | group)``.
    data : pandas.DataFrame

    Returns
    -------
    GLMMResult
        ``params``/``bse`` are posterior means/SDs of the fixed effects; the variance is
        ``exp(2 * E[log SD])``; ``llf`` is None (no likelihood), ``cov_type="posterior"``.
    """
    design = glmm_design(formula, data)  # validation and exclusions as the native backend
    g = design.group
    dfm = pd.DataFrame(design.X, columns=list(design.x_names))
    dfm["__y"] = design.y
    dfm["__g"] = np.asarray(design.group_levels)[design.groups]
    exog = design.X
    ident = np.zeros(design.n_groups, dtype=int)
    exog_vc = np.zeros((design.nobs, design.n_groups))
    exog_vc[np.arange(design.nobs), design.groups] = 1.0
    from scipy import sparse

    model = BinomialBayesMixedGLM(
        design.y,
        exog,
        sparse.csr_matrix(exog_vc),
        ident,
        fe_p=2.0,
        vcp_p=1.0,
        fep_names=list(design.x_names),
        vcp_names=[g],
        vc_names=list(design.group_levels),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit_vb()
    msgs = tuple(str(w.message) for w in caught)
    sd_log = float(res.vcp_mean[0])
    var_u = float(np.exp(2 * sd_log))
    names = list(design.x_names)
    re_mean = np.asarray(res.vc_mean, dtype=float)
    re_sd = np.asarray(res.vc_sd, dtype=float)
    return GLMMResult(
        params=pd.Series(np.asarray(res.fe_mean, dtype=float), index=names, name="params"),
        cov=pd.DataFrame(
            np.diag(np.asarray(res.fe_sd, dtype=float) ** 2), index=names, columns=names
        ),
        nobs=design.nobs,
        llf=None,
        model="Bayesian mixed GLM (binomial, logit; variational Bayes, statsmodels) -- approximation",
        formula=formula,
        cov_type="posterior",
        cov_description="posterior SDs of a mean-field variational approximation (no covariances)",
        n_extra_params=1,
        extra={"n_groups": design.n_groups, **_excl_note(design.n_excluded, design.excluded_by)},
        variance_components=pd.Series({g: var_u}, name="variance"),
        theta=pd.Series({f"sd_(Intercept)|{g}": np.sqrt(var_u)}, name="theta"),
        ranef=ranef_frame(g, design.group_levels, design.group_sizes, re_mean, re_sd),
        convergence=ConvergenceInfo(converged=not msgs, messages=msgs),
        optim_info={"vcp_mean": sd_log, "vcp_sd": float(res.vcp_sd[0])},
        family="binomial",
        nagq=0,
        backend="bayes",
    )


def gee(formula: str, data: pd.DataFrame, groups: str | None = None) -> ModelResults:
    """Population-averaged logistic GEE, exchangeable working correlation, robust SEs.

    Parameters
    ----------
    formula : str
        Fixed part (``y ~ x``); an lme4 random term ``(1 | g)`` is dropped and ``g`` used as
        ``groups`` when ``groups`` is not given.
    data : pandas.DataFrame
    groups : str, optional
        Cluster column (e.g. ``"institution_id"``).

    Returns
    -------
    ModelResults
        ``cov_type="robust"``; ``extra["exchangeable_corr"]`` is the working correlation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"y": rng.integers(0, 2, 200).astype(float), "x": rng.normal(size=200),
    ...                    "g": np.repeat(list("abcdefghij"), 20)})
    >>> r = gee("y ~ x", df, groups="g")
    >>> list(r.params.index)
    ['Intercept', 'x']
    """
    pf = parse_formula(formula)
    if groups is None:
        if not pf.random:
            raise ValueError("gee needs groups= (the cluster column) or a (1 | group) term")
        groups = pf.random[0].group
    pf, sub, n_excl, excl = _complete(formula, data, [groups])
    if sub[pf.response].nunique() < 2:
        raise ValueError(f"response {pf.response!r} never varies in the rows used")
    model = sm.GEE.from_formula(
        pf.fixed,
        groups=sub[groups].astype(str).to_numpy(),
        data=sub,
        family=sm.families.Binomial(),
        cov_struct=sm.cov_struct.Exchangeable(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit()
    for w in caught:
        if issubclass(w.category, Warning) and "converge" in str(w.message).lower():
            warnings.warn(f"GEE: {w.message}", ConvergenceWarning, stacklevel=2)
    names = list(res.params.index)
    n_clusters = int(sub[groups].nunique())
    return ModelResults(
        params=res.params.rename("params"),
        cov=pd.DataFrame(np.asarray(res.cov_params()), index=names, columns=names),
        nobs=int(res.nobs),
        model="GEE (binomial, logit; exchangeable working correlation; statsmodels)",
        formula=pf.fixed,
        cov_type="robust",
        cov_description=f"robust (sandwich) SEs clustered on {groups!r} ({n_clusters} clusters)",
        extra={
            "exchangeable_corr": float(res.cov_struct.dep_params),
            "n_groups": n_clusters,
            **_excl_note(n_excl, excl),
        },
    )


def glm(formula: str, data: pd.DataFrame) -> ModelResults:
    """Logistic regression without a random intercept, on the same complete rows as ``glmer``.

    The random term of an lme4 formula is dropped from the model, but its grouping column still
    decides which rows are complete, so ``lrt(glm(f, d), glmer(f, d))`` compares like with like.
    """
    pf, sub, n_excl, excl = _complete(
        formula, data, [t.group for t in parse_formula(formula).random]
    )
    if sub[pf.response].nunique() < 2:
        raise ValueError(f"response {pf.response!r} never varies in the rows used")
    res = sm.GLM.from_formula(pf.fixed, data=sub, family=sm.families.Binomial()).fit()
    names = list(res.params.index)
    return ModelResults(
        params=res.params.rename("params"),
        cov=pd.DataFrame(np.asarray(res.cov_params()), index=names, columns=names),
        nobs=int(res.nobs),
        llf=float(res.llf),
        model="Logistic regression (GLM, no random effects; statsmodels)",
        formula=pf.fixed,
        cov_type="nonrobust",
        extra=_excl_note(n_excl, excl),
    )


def lmer(
    formula: str,
    data: pd.DataFrame,
    reml: bool = True,
    backend: Literal["native", "lme4"] = "native",
) -> GLMMResult:
    """Linear random-intercept model ``y ~ x + (1 | g)`` (statsmodels MixedLM or lme4).

    Parameters
    ----------
    formula : str
        lme4 syntax; the native backend takes exactly one ``(1 | group)``.
    data : pandas.DataFrame
    reml : bool
        REML (default, as lme4) or maximum likelihood (for likelihood-ratio tests of fixed effects).
    backend : {"native", "lme4"}
        ``"native"`` is statsmodels ``MixedLM``; ``"lme4"`` is ``lme4::lmer`` through pymer4.

    Returns
    -------
    GLMMResult
        ``variance_components`` (group variance), ``residual_variance``, ``icc``; ``llf`` is the
        REML criterion when ``reml=True`` (as lme4's ``logLik``); AIC counts both variances.
    """
    if backend == "lme4":
        from .lme4 import lmer_lme4

        return lmer_lme4(formula, data, reml=reml)
    if backend != "native":
        raise ValueError(f"backend must be 'native' or 'lme4', got {backend!r}")
    design = glmm_design(formula, data, family="gaussian")
    g = design.group
    groups = np.asarray(design.group_levels)[design.groups]
    exog = pd.DataFrame(design.X, columns=list(design.x_names))
    model = sm.MixedLM(
        pd.Series(design.y, name=design.response),
        exog,
        groups=groups,
        exog_re=np.ones((design.nobs, 1)),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=reml)
    msgs = [
        str(w.message)
        for w in caught
        if "converge" in str(w.message).lower() or "boundary" in str(w.message).lower()
    ]
    names = list(design.x_names)
    p = len(names)
    var_u = float(res.cov_re.iloc[0, 0])
    singular = var_u < 1e-8 * max(float(res.scale), 1e-300)
    if singular:
        msgs.append(f"boundary (singular) fit: the variance of the random intercept for {g!r} is 0")
    for m in msgs:
        warnings.warn(m, ConvergenceWarning, stacklevel=2)
    cov = np.asarray(res.cov_params())[:p, :p]
    if singular:  # statsmodels cannot predict from a singular covariance: the modes are 0
        est = np.zeros(design.n_groups)
        se = np.zeros(design.n_groups)
    else:
        re_dict = res.random_effects
        re_cov = res.random_effects_cov
        est = np.array([float(re_dict[lev].iloc[0]) for lev in design.group_levels])
        se = np.array(
            [float(np.sqrt(np.asarray(re_cov[lev])[0, 0])) for lev in design.group_levels]
        )
    return GLMMResult(
        params=pd.Series(np.asarray(res.fe_params, dtype=float), index=names, name="params"),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=design.nobs,
        llf=float(res.llf),
        model=f"Linear mixed model ({'REML' if reml else 'ML'}; statsmodels MixedLM)",
        formula=formula,
        cov_type="model",
        cov_description="MixedLM model-based covariance of the fixed effects",
        n_extra_params=2,
        extra={
            "n_groups": design.n_groups,
            "reml": reml,
            **_excl_note(design.n_excluded, design.excluded_by),
        },
        variance_components=pd.Series({g: var_u}, name="variance"),
        theta=pd.Series({f"sd_(Intercept)|{g}": np.sqrt(var_u / res.scale)}, name="theta"),
        ranef=ranef_frame(g, design.group_levels, design.group_sizes, est, se),
        convergence=ConvergenceInfo(
            converged=bool(res.converged), singular=singular, messages=tuple(msgs) + design.warnings
        ),
        optim_info={"method": "statsmodels MixedLM"},
        family="gaussian",
        nagq=0,
        backend="native",
        residual_variance=float(res.scale),
    )
