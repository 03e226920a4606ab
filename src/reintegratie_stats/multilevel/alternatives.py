"""Other estimators of the same question: Bayes approximation, GEE, plain GLM, linear mixed model.

* :func:`glmer_bayes` -- statsmodels ``BinomialBayesMixedGLM`` fitted by variational Bayes
  (``fit_vb``): an approximation (posterior means and SDs under N(0, 2^2)-type priors), not
  maximum likelihood; it has no log-likelihood, so ``llf``/``aic`` are NaN.
* :func:`gee` -- population-averaged logistic GEE with an exchangeable working correlation and
  robust (sandwich) SEs: the robustness model. Its coefficients are marginal, so they are
  smaller in size than the conditional GLMM coefficients by about ``1/sqrt(1 + 0.346 var_u)``.
* :func:`glm` -- the logistic model without a random intercept (the small model when testing the
  variance with :func:`reintegratie_stats.multilevel.lrt`).
* :func:`lmer` -- linear mixed model (lme4's profiled deviance, REML or ML), or lme4 itself.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

from ..results import ConvergenceInfo, ConvergenceWarning, ModelResults
from ..statistics.complete_cases import CompleteCases, complete_cases
from ..statistics.formula import parse_formula
from ..statistics.lmm import fit_lmm
from .design import glmm_design
from .results import GLMMResult, ranef_frame

__all__ = ["glmer_bayes", "gee", "glm", "lmer"]


def _complete(formula: str, data: pd.DataFrame, extra: list[str] | None = None):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    pf = parse_formula(formula)
    for c in [pf.response, *(extra or [])]:
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in the data")
    cases = complete_cases(data, [*pf.variables(data.columns), *(extra or [])])
    # keep every column (statsmodels' formula interface may use more than the listed ones)
    return pf, data.loc[cases.frame.index], cases.n_excluded, cases.excluded_by


def _excl_note(n: int, by: dict[str, int]) -> dict[str, Any]:
    return CompleteCases(pd.DataFrame(), 0, n, by).note()


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
    """Linear mixed model ``y ~ x + (1 | g)`` as ``lme4::lmer`` (native) or by lme4 itself.

    Parameters
    ----------
    formula : str
        lme4 syntax: random intercepts ``(1 | g)`` (several allowed) or ``(1 + x | g)``.
    data : pandas.DataFrame
    reml : bool
        REML (default, as lme4) or maximum likelihood (for likelihood-ratio tests).
    backend : {"native", "lme4"}
        ``"native"`` is :func:`reintegratie_stats.statistics.lmm.fit_lmm` (lme4's profiled
        deviance and ``vcov``); ``"lme4"`` is ``lme4::lmer`` through pymer4.

    Returns
    -------
    GLMMResult
        ``variance_components``, ``theta`` (lme4's), ``residual_variance``, ``icc``; ``llf`` is
        the REML criterion when ``reml=True`` (as lme4's ``logLik``); AIC counts the variance
        parameters and the residual variance. ``convergence.singular`` marks a boundary fit
        (its variance is exactly 0).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(12), 10)
    >>> df = pd.DataFrame({"g": g, "x": rng.normal(size=120)})
    >>> df["y"] = 1 + df["x"] + rng.normal(0, 1, 12)[g] + rng.normal(size=120)
    >>> m = lmer("y ~ x + (1 | g)", df, reml=False)
    >>> m.convergence.converged, m.k_params
    (True, 4)
    """
    if backend == "lme4":
        from .lme4 import lmer_lme4

        return lmer_lme4(formula, data, reml=reml)
    if backend != "native":
        raise ValueError(f"backend must be 'native' or 'lme4', got {backend!r}")
    fit = fit_lmm(formula, data, reml=reml)
    for m in fit.messages:
        warnings.warn(m, ConvergenceWarning, stacklevel=2)
    names = list(fit.x_names)
    re = fit.ranef[fit.ranef["term"] == "(Intercept)"]
    ranef = pd.concat(
        [
            ranef_frame(
                str(g),
                tuple(r["level"]),
                r["n"].to_numpy(),
                r["estimate"].to_numpy(),
                r["std_error"].to_numpy(),
            )
            for g, r in re.groupby("grpvar", sort=False)
        ],
        ignore_index=True,
    )
    est = "REML" if reml else "ML"
    ng = fit.n_groups
    return GLMMResult(
        params=pd.Series(fit.beta, index=names, name="params"),
        cov=pd.DataFrame(fit.cov_beta, index=names, columns=names),
        nobs=fit.nobs,
        llf=float(fit.llf),
        model=f"Linear mixed model ({est}; native, lme4's profiled deviance)",
        formula=formula,
        cov_type="model",
        cov_description="sigma^2 (X'V^-1 X)^-1 at the estimated variances, as lme4's vcov()",
        n_extra_params=fit.n_theta + 1,
        extra={
            "n_groups": ng[fit.design.blocks[0].group] if len(ng) == 1 else ng,
            "reml": reml,
            **fit.design.cases.note(),
        },
        variance_components=fit.variance_components,
        theta=pd.Series(fit.theta, index=list(fit.theta_names), name="theta"),
        ranef=ranef,
        convergence=ConvergenceInfo(
            converged=fit.converged, singular=fit.singular, messages=fit.messages
        ),
        optim_info={"method": fit.method, "deviance": fit.deviance},
        family="gaussian",
        nagq=0,
        backend="native",
        residual_variance=fit.sigma2,
    )
