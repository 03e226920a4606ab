"""The results class shared by the formula models of this subpackage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy

from ..results import ModelResults

__all__ = ["FormulaResults", "cr1_factor"]


def cr1_factor(n_clusters: int, nobs: int, k: int) -> float:
    """The CR1 small-sample factor G/(G-1)·(N-1)/(N-K) (Stata, ``sandwich::vcovCL(type="HC1")``)."""
    return n_clusters / (n_clusters - 1) * (nobs - 1) / (nobs - k)


@dataclass
class FormulaResults(ModelResults):
    """A :class:`~reintegratie_stats.results.ModelResults` that remembers its design.

    ``design_info`` (patsy) rebuilds the model matrix for new data, so predictions and marginal
    effects use exactly the coding of the fit; ``frame`` is the estimation sample (complete
    cases, a copy) and ``endog_name`` the response.
    """

    design_info: Any = None
    frame: pd.DataFrame | None = None
    endog_name: str = ""

    def model_matrix(self, data: pd.DataFrame) -> pd.DataFrame:
        """The fixed-effects model matrix of ``data`` with the fit's coding."""
        if self.design_info is None:
            raise ValueError("this result keeps no design; predictions are not available")
        from ._design import to_patsy_frame

        X = patsy.dmatrix(self.design_info, to_patsy_frame(data), return_type="dataframe")
        return X[list(self.design_info.column_names)]

    def predict(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Linear predictor (fixed part) for ``data`` (default: the estimation sample)."""
        data = self.frame if data is None else data
        X = self.model_matrix(data)
        b = self.params.reindex(X.columns).to_numpy()
        return pd.Series(X.to_numpy() @ b, index=X.index, name="predicted")

    @property
    def n_excluded(self) -> int:
        return int(self.extra.get("n_excluded", 0))

    def _fixed_names(self) -> list[str]:
        return list(self.design_info.column_names)

    def fixed_cov(self) -> np.ndarray:
        names = self._fixed_names()
        return self.cov.loc[names, names].to_numpy()
