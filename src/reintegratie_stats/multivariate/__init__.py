"""Chapter 5: multivariate models of satisfaction with support versus preparedness for release.

Entry points (stable API): :func:`ols` (cluster-robust OLS), :func:`mixed` (random intercept,
statsmodels or lme4), :func:`sur` (seemingly unrelated regressions with cross-equation Wald
tests), :func:`ordinal` (ordinal logit). Every result is a
:class:`~reintegratie_stats.results.ModelResults`. :func:`chapter5` runs the whole chapter.
"""

from .chapter import chapter5, model_domains
from .effects import lincom, marginal_effects, predicted, standardized_coefficients
from .family import family_models
from .mice import mice_ols, rubin_pool
from .mixed import MixedResults, mixed
from .ols import OLSResults, ols
from .ordinal import OrdinalResults, ordinal
from .predictors import AnalysisFrame, analysis_frame, domain_formula, overall_formula
from .scales import cronbach_alpha, mcdonald_omega, preparedness_scale, scale_reliability
from .sur import SURResults, sur, wald_test

__all__ = [
    "AnalysisFrame",
    "MixedResults",
    "OLSResults",
    "OrdinalResults",
    "SURResults",
    "analysis_frame",
    "chapter5",
    "model_domains",
    "cronbach_alpha",
    "domain_formula",
    "family_models",
    "lincom",
    "marginal_effects",
    "mcdonald_omega",
    "mice_ols",
    "mixed",
    "rubin_pool",
    "ols",
    "ordinal",
    "overall_formula",
    "predicted",
    "preparedness_scale",
    "scale_reliability",
    "standardized_coefficients",
    "sur",
    "wald_test",
]
