"""Chapter 5: multivariate models of satisfaction with support versus preparedness for release."""

from .ols import OLSResults, ols

__all__ = ["OLSResults", "ols"]
