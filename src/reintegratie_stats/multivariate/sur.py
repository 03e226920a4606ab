"""Seemingly unrelated regressions across the domain outcomes, with cross-equation Wald tests.

Each equation's design is built with patsy (constant ``Intercept``) on the rows complete for
*all* equations (SUR needs one common sample); linearmodels ``SUR`` does the feasible GLS.
Parameters are named ``<equation>_<term>`` as in linearmodels and R's systemfit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..results import ModelResults
from ._design import formula_variables, listwise, make_design

__all__ = ["SURResults", "sur", "wald_test"]


def wald_test(
    params: pd.Series, cov: pd.DataFrame, R: pd.DataFrame | np.ndarray, q: np.ndarray | None = None
) -> pd.DataFrame:
    """Wald test of ``R β = q``: W = (Rβ-q)'(R V R')⁻¹(Rβ-q) ~ χ²(rank R).

    Returns
    -------
    pandas.DataFrame
        One row: ``statistic``, ``dof``, ``p_value``.
    """
    Rm = (
        R.reindex(columns=params.index, fill_value=0.0)
        if isinstance(R, pd.DataFrame)
        else pd.DataFrame(np.atleast_2d(R), columns=params.index)
    ).to_numpy(dtype=float)
    qv = np.zeros(Rm.shape[0]) if q is None else np.asarray(q, dtype=float)
    r = Rm @ params.to_numpy() - qv
    W = float(r @ np.linalg.solve(Rm @ cov.to_numpy() @ Rm.T, r))
    k = int(np.linalg.matrix_rank(Rm))
    return pd.DataFrame({"statistic": [W], "dof": [k], "p_value": [float(stats.chi2.sf(W, k))]})


@dataclass
class SURResults(ModelResults):
    """Result of :func:`sur`. ``params`` are named ``<equation>_<term>``.

    ``terms`` maps each parameter name to ``(equation, term)``; :meth:`equation` gives one
    equation's coefficients; :meth:`test_equal` is the cross-equation Wald test.
    """

    terms: dict[str, tuple[str, str]] | None = None
    sigma: pd.DataFrame | None = None
    n_excluded: int = 0

    def name(self, equation: str, term: str) -> str:
        return f"{equation}_{term}"

    def equation(self, name: str) -> pd.DataFrame:
        """Tidy coefficient table of one equation (``term`` without the equation prefix)."""
        tab = self.tidy()
        tab = tab[tab["equation"] == name].copy()
        tab["term"] = tab["variable"]
        return tab.drop(columns=["equation", "variable"]).reset_index(drop=True)

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """:meth:`to_frame` with ``equation`` first and ``variable`` (term within equation) third."""
        out = self.to_frame(alpha)
        if self.terms is None:
            raise ValueError("this SUR result keeps no equation/term map")
        out.insert(0, "equation", [self.terms[t][0] for t in out["term"]])
        out.insert(2, "variable", [self.terms[t][1] for t in out["term"]])
        return out

    def wald_test(self, R: pd.DataFrame | np.ndarray, q: np.ndarray | None = None) -> pd.DataFrame:
        """Wald test of linear restrictions ``R β = q`` on the stacked parameters."""
        return wald_test(self.params, self.cov, R, q)

    def test_equal(
        self, terms: Mapping[str, str] | str, equations: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Is a coefficient equal across equations?

        Parameters
        ----------
        terms : dict or str
            Equation → term (e.g. ``{"housing": "instr_ext_housing", ...}``), or one term name
            present in every equation of ``equations``.
        equations : sequence of str, optional
            With a single term name: the equations compared (default all).

        Returns
        -------
        pandas.DataFrame
            One row: ``hypothesis``, ``statistic`` (Wald χ²), ``dof`` (= equations - 1), ``p_value``.
        """
        if isinstance(terms, str):
            eqs = list(equations or self.extra["equations"])
            terms = {e: terms for e in eqs}
        names = [self.name(e, t) for e, t in terms.items()]
        unknown = [n for n in names if n not in self.params.index]
        if unknown:
            raise ValueError(f"not a parameter of this SUR: {', '.join(unknown)}")
        if len(names) < 2:
            raise ValueError("test_equal needs the term in at least two equations")
        R = pd.DataFrame(0.0, index=range(len(names) - 1), columns=self.params.index)
        for i in range(len(names) - 1):
            R.loc[i, names[i]] = 1.0
            R.loc[i, names[i + 1]] = -1.0
        out = self.wald_test(R)
        out.insert(0, "hypothesis", " = ".join(names))
        return out


def sur(
    equations: Mapping[str, str],
    data: pd.DataFrame,
    cluster: str | None = None,
    *,
    method: str = "gls",
) -> SURResults:
    """Seemingly unrelated regressions (feasible GLS) of several outcomes.

    Parameters
    ----------
    equations : dict of str → str
        Equation name → patsy formula, e.g. ``{"housing": "prep_housing ~ instr_ext_housing"}``.
    data : pandas.DataFrame
        Not modified; rows incomplete on any equation (or ``cluster``) are dropped and counted.
    cluster : str, optional
        Cluster-robust covariance by this column (linearmodels ``"clustered"`` with its group
        and degrees-of-freedom corrections: CR1 per equation); otherwise the classical GLS
        covariance (as systemfit).
    method : {"gls", "ols"}
        ``"gls"``: SUR; ``"ols"``: equation-by-equation OLS in the same system.

    Returns
    -------
    SURResults
        Stacked ``params`` named ``<equation>_<term>``, ``sigma`` (residual covariance,
        divisor N), ``extra["n_excluded"]``, ``extra["excluded_by"]``, ``extra["equations"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame(rng.normal(size=(200, 4)), columns=["y1", "y2", "x1", "x2"])
    >>> r = sur({"a": "y1 ~ x1", "b": "y2 ~ x2"}, df)
    >>> list(r.params.index)
    ['a_Intercept', 'a_x1', 'b_Intercept', 'b_x2']
    """
    from linearmodels.system import SUR

    if not isinstance(equations, Mapping) or len(equations) < 2:
        raise ValueError("equations must be a dict of at least two name → formula entries")
    if method not in ("gls", "ols"):
        raise ValueError(f"method must be 'gls' or 'ols', got {method!r}")
    cols: list[str] = []
    for f in equations.values():
        cols += [c for c in formula_variables(f, data) if c not in cols]
    if cluster is not None and cluster not in cols:
        cols.append(cluster)
    frame, n_excl, by = listwise(data, cols)
    designs = {name: make_design(f, frame) for name, f in equations.items()}
    system = {n: {"dependent": d.y.to_frame(), "exog": d.X} for n, d in designs.items()}
    model = SUR(system)
    if cluster is not None:
        codes, uniques = pd.factorize(frame[cluster].astype(str), sort=True)
        fit = model.fit(
            method=method, cov_type="clustered", clusters=codes, debiased=True, group_debias=True
        )
        desc = (
            f"Cluster-robust covariance by {cluster!r} ({len(uniques)} clusters), linearmodels "
            "'clustered' with group_debias and debiased: per equation the CR1 small-sample "
            "correction G/(G-1)·(N-1)/(N-K) (equal to ols(cluster=...) when method='ols')."
        )
        cov_type = "cluster"
    else:
        fit = model.fit(method=method, cov_type="unadjusted")
        desc = "Classical (homoskedastic) GLS covariance; residual covariance with divisor N."
        cov_type = "nonrobust"
    names, terms = [], {}
    for n, d in designs.items():
        for t in d.names:
            names.append(f"{n}_{t}")
            terms[f"{n}_{t}"] = (n, t)
    params = pd.Series(np.asarray(fit.params), index=names, name="params")
    cov = pd.DataFrame(np.asarray(fit.cov), index=names, columns=names)
    eqs = list(designs)
    sigma = pd.DataFrame(np.asarray(fit.sigma), index=eqs, columns=eqs)
    return SURResults(
        params=params,
        cov=cov,
        nobs=len(frame),
        use_t=False,
        model=f"Seemingly unrelated regressions ({'feasible GLS' if method == 'gls' else 'OLS'})",
        formula="; ".join(f"{n}: {f}" for n, f in equations.items()),
        cov_type=cov_type,
        cov_description=desc,
        extra={"n_excluded": n_excl, "excluded_by": by, "equations": eqs, "method": method},
        terms=terms,
        sigma=sigma,
        n_excluded=n_excl,
    )
