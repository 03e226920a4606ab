"""Chapter 5: multivariate models of satisfaction with support versus preparedness for release."""

from .mixed import MixedResults, mixed
from .ols import OLSResults, ols

__all__ = ["MixedResults", "OLSResults", "mixed", "ols"]
