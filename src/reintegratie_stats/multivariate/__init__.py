"""Chapter 5: multivariate models of satisfaction with support versus preparedness for release."""

from .mixed import MixedResults, mixed
from .ols import OLSResults, ols
from .ordinal import OrdinalResults, ordinal
from .sur import SURResults, sur, wald_test

__all__ = ["MixedResults", "OLSResults", "OrdinalResults", "ordinal", "SURResults", "mixed", "ols", "sur", "wald_test"]
