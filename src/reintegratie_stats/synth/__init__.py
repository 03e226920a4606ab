"""The synthetic twin: DPVS/PCQ-shaped data from a known data-generating process.

The real data are confidential; this twin is what users, tests, notebooks and reports run on
by default. The data-generating process, with its equations and what each ``truth`` entry
supports, is documented in ``docs/synthetic_twin.md``.

- :func:`generate` draws the three canonical tables plus ``truth`` (every true parameter);
- :func:`load_example` returns the default twin (seed 2019, cached);
- :func:`write_twin` writes ``institutions/prisoners/professionals.<ext>`` and ``truth.json``;
- :func:`set_parameters` / :func:`get_parameter` override / read a named truth parameter
  (dotted path) for power and sensitivity studies; :func:`draw_family` draws only the
  institutions, registration and family blocks (the same values, a fraction of the time);
- :func:`contact_design`, :func:`preparedness_design`, :func:`institution_covariates` build
  the design matrices whose columns are the term names in ``truth``.

Examples
--------
>>> from reintegratie_stats.synth import load_example
>>> d = load_example()
>>> len(d.institutions), d.truth["generator"]["seed"]
(26, 2019)
"""

from .api import load_example, write_twin
from .design import (
    contact_design,
    family_contact,
    institution_covariates,
    preparedness_design,
    preparedness_terms,
)
from .generate import GENERATOR_VERSION, SynthData, draw_family, generate
from .missing import MARRule, MissingSpec
from .override import get_parameter, set_parameters
from .params import CONTACT_TERMS, SynthParams

__all__ = [
    "CONTACT_TERMS",
    "GENERATOR_VERSION",
    "MARRule",
    "MissingSpec",
    "SynthData",
    "SynthParams",
    "contact_design",
    "draw_family",
    "family_contact",
    "generate",
    "get_parameter",
    "institution_covariates",
    "load_example",
    "preparedness_design",
    "preparedness_terms",
    "set_parameters",
    "write_twin",
]
