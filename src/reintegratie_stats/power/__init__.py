"""Plan the next wave: simulation-based power and sample size on the synthetic twin.

Multilevel power has no closed form; the standard answer is simulation (R's
``simr::powerSim``): draw data with the effect set, refit the model, count rejections. Here the
data come from the twin's known data-generating process with one named truth parameter
overridden (:func:`reintegratie_stats.synth.set_parameters`) and the model is the chapter's,
fitted by the native GLMM in milliseconds, with the calibrated Wald test
(``multilevel.glmer(ddf="between-within")``) by default.

- :class:`Design` -- institutions, prisoners (total or per institution), share with children,
  facility prevalences; :func:`size_grid` for a curve over sizes;
- :data:`EFFECTS` -- the named effects (parameter, natural unit, null, analysis, term);
- :data:`ANALYSES` -- the chapters' models; :class:`WaldTest` -- the default test;
- :func:`power` -- the tidy power table with Monte Carlo CIs, the type-I rate at the null and
  the minimal detectable effect (:class:`PowerResult`);
- :func:`simulated_frames` -- the simulated analysis frames, to refit them elsewhere (R).

Examples
--------
>>> from reintegratie_stats.power import Design, power
>>> r = power(Design(n_institutions=8, n_prisoners=300), "family_room_visit_ratio",
...           [1.0], n_sims=3, seed=7)
>>> int(r.table["n_sims"].iloc[0])
3
"""

from .analyses import ANALYSES, Analysis, PowerTest, WaldTest
from .design import EFFECTS, Design, Effect, size_grid
from .simulation import (
    PowerResult,
    clopper_pearson,
    minimal_detectable_effect,
    power,
    sim_seed,
    simulate,
    simulated_frames,
)

__all__ = [
    "ANALYSES",
    "EFFECTS",
    "Analysis",
    "Design",
    "Effect",
    "PowerResult",
    "PowerTest",
    "WaldTest",
    "clopper_pearson",
    "minimal_detectable_effect",
    "power",
    "sim_seed",
    "simulate",
    "simulated_frames",
    "size_grid",
]
