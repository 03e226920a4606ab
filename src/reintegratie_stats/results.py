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
    df_terms : pandas.Series, optional
        Degrees of freedom per term (e.g. between-within df for a multilevel model: groups minus
        group-level parameters for a group-level term). When given, each term is tested on
        Student's t with its own df (``inf`` means the normal); it overrides ``df_resid``.
    df_method : str
        How ``df_terms`` was computed (printed in :meth:`summary` and the tidy output).
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
    df_terms: pd.Series | None = None
    df_method: str = ""

    def __post_init__(self) -> None:
        names = list(self.params.index)
        if list(self.cov.index) != names or list(self.cov.columns) != names:
            raise ValueError("cov must be labelled with exactly the params' terms, in order")
        if self.df_terms is not None and list(self.df_terms.index) != names:
            raise ValueError("df_terms must be labelled with exactly the params' terms, in order")

    # --- statsmodels names -----------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="bse")

    @property
    def tvalues(self) -> pd.Series:
        return (self.params / self.bse).rename("tvalues")

    @property
    def df(self) -> pd.Series:
        """Reference degrees of freedom per term (``inf``: normal reference distribution)."""
        if self.df_terms is not None:
            vals = self.df_terms.to_numpy(dtype=float)
        elif self.use_t and self.df_resid is not None:
            vals = np.full(len(self.params), float(self.df_resid))
        else:
            vals = np.full(len(self.params), np.inf)
        return pd.Series(vals, index=self.params.index, name="df")

    def reference_distribution(self, terms: list[str] | None = None) -> Any:
        """The frozen scipy distribution for a test of ``terms`` (all terms by default).

        With per-term df, a combination of terms uses the smallest df among them (conservative).
        """
        df = self.df if terms is None else self.df[list(terms)]
        dmin = float(df.min()) if len(df) else np.inf
        return stats.norm() if not np.isfinite(dmin) else stats.t(dmin)

    @property
    def pvalues(self) -> pd.Series:
        # scipy's t with df=inf is exactly the normal, so one formula serves z and t tests
        return pd.Series(
            2 * stats.t.sf(np.abs(self.tvalues.to_numpy()), self.df.to_numpy()),
            index=self.params.index,
            name="pvalues",
        )

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals: a DataFrame with ``ci_low`` and ``ci_high`` by term."""
        q = stats.t.ppf(1 - alpha / 2, self.df.to_numpy())
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
        if self.df_terms is not None:
            out["df"] = self.df.to_numpy()
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
        tab = self.to_frame().set_index("term")
        t_based = self.df_terms is not None or (self.use_t and self.df_resid is not None)
        stat = "t" if t_based else "z"
        cols = ["coef", "std err", stat, "P>|" + stat + "|", "[0.025", "0.975]"]
        tab.columns = cols + (["df"] if self.df_terms is not None else [])
        lines.append(tab.to_string(float_format=lambda x: f"{x:.4f}"))
        notes = [self.cov_description] if self.cov_description else []
        if self.df_method:
            notes.append(f"Degrees of freedom: {self.df_method}")
        notes += [f"{k}: {v}" for k, v in self.extra.items() if isinstance(v, str | int | float)]
        if notes:
            lines.append("Notes:")
            lines += [f"  {n}" for n in notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.params)} terms, nobs={self.nobs}>"
