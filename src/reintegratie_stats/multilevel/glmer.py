"""``glmer()``: a thin driver over the four stages, with the lme4 and Bayes backends.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(7)
>>> g = np.repeat(np.arange(20), 50)
>>> x = rng.normal(size=1000)
>>> eta = -0.5 + 0.8 * x + rng.normal(scale=0.7, size=20)[g]
>>> df = pd.DataFrame({"y": (rng.random(1000) < 1 / (1 + np.exp(-eta))).astype(float),
...                    "x": x, "g": [f"PI{i:02d}" for i in g]})
>>> m = glmer("y ~ x + (1 | g)", df)
>>> list(m.params.index)
['Intercept', 'x']
>>> bool(0.5 < m.params["x"] < 1.1)
True
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .ddf import DDF_METHODS, between_within_df
from .design import GLMMDesign, glmm_design
from .objective import make_objective
from .optimize import GLMMControl, optimize_glmm
from .results import GLMMResult, apply_checks, build_glmm_result
from .separation import SeparationResult, detect_separation

__all__ = ["glmer"]

Backend = Literal["native", "lme4", "bayes"]
DDF = Literal["asymptotic", "between-within"]


def glmer(
    formula: str,
    data: pd.DataFrame,
    family: str = "binomial",
    backend: Backend = "native",
    nagq: int = 1,
    control: GLMMControl | None = None,
    start: np.ndarray | None = None,
    ddf: DDF | None = None,
) -> GLMMResult:
    """Fit a two-level logistic model with lme4 formula syntax.

    Parameters
    ----------
    formula : str
        ``outcome ~ covariates + (1 | institution_id)``.
    data : pandas.DataFrame
        Rows with a missing formula variable are dropped and counted (``result.extra``).
    family : {"binomial"}
        Only the logit-binomial family (0/1 outcome) is supported here; see :func:`lmer` for
        linear models.
    backend : {"native", "lme4", "bayes"}
        ``"native"``: maximum likelihood in numpy/scipy (one random intercept, Laplace for
        ``nagq=1``, adaptive Gauss-Hermite for ``nagq>1``). ``"lme4"``: R's lme4 through pymer4
        (any lme4 formula). ``"bayes"``: statsmodels ``BinomialBayesMixedGLM`` (an
        approximation: variational Bayes posterior means, not maximum likelihood).
    nagq : int
        Number of adaptive Gauss-Hermite points (1 = Laplace), as lme4's ``nAGQ``.
    control : GLMMControl, optional
        Optimiser options and what to do on convergence / boundary / separation problems.
    start : ndarray, optional
        Starting ``(theta, beta)`` (native backend).
    ddf : {"between-within", "asymptotic"}, optional
        Reference distribution of the Wald tests and intervals: ``"between-within"`` uses
        Student's t with the between-within degrees of freedom of
        :func:`reintegratie_stats.multilevel.ddf.between_within_df` (with 26 institutions and 6
        group-level parameters, 20 df for an institution score); ``"asymptotic"`` is the normal
        (z, as lme4's ``summary``). Default (None): between-within for a single random
        intercept (every native fit), asymptotic for other random structures (lme4 backend).
        With 26 institutions z tests of institution-level terms are anti-conservative; see
        ``docs/multilevel.md`` (Which test for institution-level terms) and, for the block of
        institution terms, :func:`reintegratie_stats.multilevel.bootstrap.pb_lrt`.

    Returns
    -------
    GLMMResult
        With ``flags`` (and a ``flag`` column in ``to_frame()``) naming separated, penalised or
        not estimable terms.

    Notes
    -----
    Separation (native backend). Before the fit the fixed-effects design is checked for
    complete or quasi-complete separation by linear programming
    (:func:`~reintegratie_stats.multilevel.separation.detect_separation`); after it, estimates
    with ``|coef| > control.separation_coef`` or ``SE > control.separation_se`` count as
    diverged. Either way, with ``control.separation="penalize"`` (default) the model is refitted
    by penalised likelihood: independent normal priors N(0, 10^2) on the intercept and
    N(0, 2.5^2) on the other fixed effects, no prior on the variance, i.e. the posterior mode of
    ``blme::bglmer(fixef.prior = normal(sd = c(10, 2.5)), cov.prior = NULL)``; SEs come from the
    Hessian of the penalised deviance, ``llf`` is the unpenalised log-likelihood at the penalised
    estimates (below the supremum, so a likelihood-ratio test with it is conservative).
    """
    if family != "binomial":
        raise ValueError(
            f"glmer fits family='binomial' (logit); got {family!r}. Use multilevel.lmer for a "
            "linear random-intercept model"
        )
    if ddf is not None and ddf not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {sorted(DDF_METHODS)}, got {ddf!r}")
    if backend == "native":
        design = glmm_design(formula, data, family=family)
        res = _fit_native(design, nagq, control or GLMMControl(), start)
    elif backend == "lme4":
        from .lme4 import glmer_lme4

        res = glmer_lme4(formula, data, family=family, nagq=nagq)
    elif backend == "bayes":
        from .alternatives import glmer_bayes

        res = glmer_bayes(formula, data)
    else:
        raise ValueError(f"backend must be 'native', 'lme4' or 'bayes', got {backend!r}")
    if backend != "native":
        design = None
        if ddf != "asymptotic":
            try:
                design = glmm_design(formula, data, family=family)
            except ValueError:
                if ddf == "between-within":
                    raise
                # random slopes, crossed or nested effects: between-within df not defined
    if ddf is None:
        ddf = "between-within" if design is not None else "asymptotic"
    if ddf == "between-within" and design is not None:
        df = between_within_df(design.X, design.groups, design.x_names)
        res.df_terms = df.reindex(res.params.index)
        res.df_method = DDF_METHODS[ddf]
    return res


def _prior_sd(design: GLMMDesign, control: GLMMControl) -> np.ndarray:
    return np.array(
        [
            control.prior_sd_intercept if n == "Intercept" else control.prior_sd
            for n in design.x_names
        ]
    )


def _fit_native(
    design: GLMMDesign, nagq: int, control: GLMMControl, start: np.ndarray | None
) -> GLMMResult:
    """Maximum likelihood, or the penalised refit / not-estimable marking on separation."""
    sep: SeparationResult | None = None
    if control.separation != "ignore":
        sep = detect_separation(design.X, design.y, design.x_names)
    if sep is not None and sep.separation and control.separation == "penalize":
        # the maximum likelihood estimate does not exist: do not chase it (the diverging
        # Newton path is where "conditional modes did not converge" comes from)
        return _fit_penalised(design, nagq, control, sep, ())
    obj = make_objective(design, nagq=nagq)
    try:
        opt = optimize_glmm(obj, start=start, control=control)
    except (FloatingPointError, np.linalg.LinAlgError) as err:
        # a numerical failure of the ML path (e.g. estimates running off towards a boundary
        # the LP check does not see); the penalised likelihood has a finite optimum
        if control.separation != "penalize":
            raise
        res = _fit_penalised(design, nagq, control, sep, ())
        res.extra["ml_failure"] = f"maximum likelihood fit failed ({err}); penalised refit"
        return res
    res = build_glmm_result(design, obj, opt, control, separation=sep, apply=False)
    diverged = tuple(res.extra["separation_terms"])
    if diverged and control.separation == "penalize":
        return _fit_penalised(design, nagq, control, sep, diverged)
    if diverged and control.separation == "not_estimable":
        _mark_not_estimable(res, diverged, sep)
    apply_checks(res.check_messages, control)
    return res


def _fit_penalised(
    design: GLMMDesign,
    nagq: int,
    control: GLMMControl,
    sep: SeparationResult | None,
    diverged: tuple[str, ...],
) -> GLMMResult:
    pobj = make_objective(design, nagq=nagq, prior_sd=_prior_sd(design, control))
    opt = optimize_glmm(pobj, control=control)
    res = build_glmm_result(
        design, pobj, opt, control, separation=sep, apply=False, diverged=diverged
    )
    res.model = res.model.replace("; native)", "; penalised: normal priors on beta; native)")
    apply_checks(res.check_messages, control)
    return res


def _mark_not_estimable(
    res: GLMMResult, terms: tuple[str, ...], sep: SeparationResult | None
) -> None:
    """Set separated terms to NaN (estimate, SE, covariance) and say why in ``flags``."""
    for t in terms:
        side = ""
        if sep is not None and sep.separation and sep.infinite.get(t, 0) != 0:
            side = f" (maximum likelihood estimate {'+' if sep.infinite[t] > 0 else '-'}inf)"
        res.flags[t] = f"not estimable: separation{side}"
        res.params[t] = np.nan
        res.cov.loc[t, :] = np.nan
        res.cov.loc[:, t] = np.nan
