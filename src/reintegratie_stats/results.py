"""One results contract for every model in the package (GLMM, cluster-OLS, mixed, SUR, ordinal).

Names follow statsmodels so that Python users feel at home: ``params``, ``bse``, ``tvalues``,
``pvalues`` are :class:`pandas.Series` indexed by term (``Intercept`` for the constant),
``conf_int(alpha)`` is a DataFrame with ``ci_low``/``ci_high``, ``cov_params()`` a labelled
square DataFrame, and ``llf``/``aic``/``bic``/``nobs`` where the model has a likelihood.
Labels are attached directly; there is no wrapper class.

Examples
--------
>>> import pandas as pd
>>> r = ModelResults(pd.Series({"Intercept": 1.0, "x": 0.5}),
...                  pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["Intercept", "x"],
...                               columns=["Intercept", "x"]), nobs=100)
>>> float(r.bse["x"])
0.1
>>> list(r.conf_int().columns)
['ci_low', 'ci_high']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ModelResults", "ConvergenceInfo", "ConvergenceWarning", "tidy_columns"]

#: Column order of :meth:`ModelResults.to_frame` (documented once, used by every renderer).
tidy_columns: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
)


class ConvergenceWarning(UserWarning):
    """An optimiser stopped short of a clean optimum (gradient, boundary or iteration limit)."""


@dataclass(frozen=True)
class ConvergenceInfo:
    """Convergence as data: what the optimiser reported and what the checks found."""

    converged: bool
    max_abs_grad: float = float("nan")
    singular: bool = False
    n_iter: int | None = None
    messages: tuple[str, ...] = ()


@dataclass
class ModelResults:
    """Estimates with their covariance matrix and fit statistics.

    Parameters
    ----------
    params : pandas.Series
        Estimates indexed by term.
    cov : pandas.DataFrame
        Covariance matrix of ``params`` (same labels on both axes).
    nobs : int
        Observations used.
    df_resid : float, optional
        Residual degrees of freedom; when given (and ``use_t``) tests use Student's t.
    llf : float, optional
        Maximised log-likelihood.
    use_t : bool
        Use t rather than normal reference distributions.
    model : str
        Short description of the model, printed in :meth:`summary`.
    formula : str, optional
        The model formula (R/lme4 syntax).
    cov_type : str
        How ``cov`` was computed (``"nonrobust"``, ``"cluster"``, ``"hessian"``...).
    cov_description : str
        A sentence on the covariance estimator (e.g. the small-sample correction used).
    extra : dict
        Model-specific information (kept, printed as notes).
    """

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    df_resid: float | None = None
    llf: float | None = None
    use_t: bool = False
    model: str = ""
    formula: str | None = None
    cov_type: str = "nonrobust"
    cov_description: str = ""
    n_extra_params: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = list(self.params.index)
        if list(self.cov.index) != names or list(self.cov.columns) != names:
            raise ValueError("cov must be labelled with exactly the params' terms, in order")

    # --- statsmodels names -----------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="bse")

    @property
    def tvalues(self) -> pd.Series:
        return (self.params / self.bse).rename("tvalues")

    def _dist(self) -> Any:
        if self.use_t and self.df_resid is not None:
            return stats.t(self.df_resid)
        return stats.norm()

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(
            2 * self._dist().sf(np.abs(self.tvalues.to_numpy())),
            index=self.params.index,
            name="pvalues",
        )

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals: a DataFrame with ``ci_low`` and ``ci_high`` by term."""
        q = self._dist().ppf(1 - alpha / 2)
        half = q * self.bse
        return pd.DataFrame({"ci_low": self.params - half, "ci_high": self.params + half})

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of the estimates, labelled by term."""
        return self.cov.copy()

    @property
    def k_params(self) -> int:
        """Number of estimated parameters counted in AIC/BIC (fixed plus extra)."""
        return len(self.params) + self.n_extra_params

    @property
    def aic(self) -> float:
        return float("nan") if self.llf is None else -2 * self.llf + 2 * self.k_params

    @property
    def bic(self) -> float:
        if self.llf is None:
            return float("nan")
        return -2 * self.llf + np.log(self.nobs) * self.k_params

    # --- tidy output -----------------------------------------------------------------------
    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per term with the columns of :data:`tidy_columns` (unrounded)."""
        ci = self.conf_int(alpha)
        out = pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "std_error": self.bse.to_numpy(),
                "statistic": self.tvalues.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "ci_low": ci["ci_low"].to_numpy(),
                "ci_high": ci["ci_high"].to_numpy(),
            }
        )
        return out.reset_index(drop=True)

    def summary(self) -> str:
        """A plain-text summary: header, coefficient table, notes."""
        lines = [self.model or type(self).__name__]
        if self.formula:
            lines.append(f"Formula: {self.formula}")
        stats_line = f"No. observations: {self.nobs}"
        if self.llf is not None:
            stats_line += (
                f"   Log-likelihood: {self.llf:.3f}   AIC: {self.aic:.2f}   BIC: {self.bic:.2f}"
            )
        lines.append(stats_line)
        lines.append(f"Covariance type: {self.cov_type}")
        tab = ModelResults.to_frame(self).set_index("term")  # the six numeric columns
        stat = "t" if self.use_t and self.df_resid is not None else "z"
        tab.columns = ["coef", "std err", stat, "P>|" + stat + "|", "[0.025", "0.975]"]
        lines.append(tab.to_string(float_format=lambda x: f"{x:.4f}"))
        notes = [self.cov_description] if self.cov_description else []
        notes += [f"{k}: {v}" for k, v in self.extra.items() if isinstance(v, str | int | float)]
        if notes:
            lines.append("Notes:")
            lines += [f"  {n}" for n in notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.params)} terms, nobs={self.nobs}>"
