"""Chapter 4: multilevel (two-level) models of institutional facilitation.

A fast native GLMM (random-intercept logit, Laplace and adaptive Gauss-Hermite, staged like
lme4), lme4 through pymer4, a Bayes approximation, GEE, linear mixed models, model comparison
and the chapter-4 workflow.

Examples
--------
>>> from reintegratie_stats.multilevel import glmer, glmm_design, make_objective
>>> callable(glmer)
True
"""

from .alternatives import gee, glm, glmer_bayes, lmer
from .compare import lrt
from .design import GLMMDesign, glmm_design
from .facilitation import (
    DEFAULT_CONTROLS,
    ModelSet,
    aggregation_stats,
    facilitation_models,
    family_models,
    family_outcomes,
    institution_scores,
    join_scores,
)
from .formula import ParsedFormula, RandomTerm, parse_formula
from .glmer import glmer
from .objective import Objective, conditional_modes, gauss_hermite, make_objective
from .optimize import GLMMControl, OptResult, numerical_hessian, optimize_glmm
from .results import GLMMFitError, GLMMResult, build_glmm_result

__all__ = [
    "DEFAULT_CONTROLS",
    "ModelSet",
    "aggregation_stats",
    "facilitation_models",
    "family_models",
    "family_outcomes",
    "institution_scores",
    "join_scores",
    "gee",
    "glm",
    "glmer_bayes",
    "lmer",
    "lrt",
    "GLMMControl",
    "GLMMDesign",
    "GLMMFitError",
    "GLMMResult",
    "Objective",
    "OptResult",
    "ParsedFormula",
    "RandomTerm",
    "build_glmm_result",
    "conditional_modes",
    "gauss_hermite",
    "glmer",
    "glmm_design",
    "make_objective",
    "numerical_hessian",
    "optimize_glmm",
    "parse_formula",
]
