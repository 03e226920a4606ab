"""The overall preparedness scale and its reliability (Cronbach's alpha, McDonald's omega).

Omega comes from a one-factor model fitted by maximum likelihood to the item covariance matrix
(Σ = λλ' + Ψ): ω = (Σλ)² / ((Σλ)² + ΣΨ), the reliability of the unweighted sum (or mean) score.
``standardized=True`` fits the correlation matrix instead (reliability of the standardised sum).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ..schema import Codebook, load_codebook

__all__ = [
    "OneFactor",
    "cronbach_alpha",
    "cronbach_alpha_from_cov",
    "mcdonald_omega",
    "one_factor_ml",
    "prep_items",
    "preparedness_scale",
    "scale_reliability",
]


def prep_items(codebook: Codebook | None = None, domains: Sequence[str] | None = None) -> list[str]:
    """The ``prep_<domain>`` items of the codebook (all domains unless ``domains`` is given)."""
    cb = codebook or load_codebook()
    doms = list(domains) if domains is not None else list(cb.domains)
    unknown = [d for d in doms if d not in cb.domains]
    if unknown:
        raise ValueError(f"unknown domain(s) {unknown}; the codebook has {list(cb.domains)}")
    return [f"prep_{d}" for d in doms]


def _complete(items: pd.DataFrame) -> pd.DataFrame:
    if items.shape[1] < 2:
        raise ValueError("a scale needs at least two items")
    X = items.astype(float).dropna()
    if len(X) < 3:
        raise ValueError(f"only {len(X)} complete rows on the items {list(items.columns)}")
    const = [c for c in X.columns if X[c].var(ddof=1) == 0]
    if const:
        raise ValueError(f"item(s) without variance on the complete rows: {const}")
    return X


def cronbach_alpha_from_cov(cov: np.ndarray) -> float:
    """α = k/(k-1) · (1 − tr(C) / 1'C1) from an item covariance matrix ``C``."""
    C = np.asarray(cov, dtype=float)
    k = C.shape[0]
    return float(k / (k - 1) * (1 - np.trace(C) / C.sum()))


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha on the complete rows of ``items`` (one column per item).

    Examples
    --------
    >>> import pandas as pd
    >>> round(float(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 3, 5]}))), 4)
    0.96
    """
    return cronbach_alpha_from_cov(np.cov(_complete(items).to_numpy(), rowvar=False))


@dataclass(frozen=True)
class OneFactor:
    """A one-factor ML solution: loadings λ, uniquenesses ψ, and the ML discrepancy."""

    loadings: pd.Series
    uniquenesses: pd.Series
    discrepancy: float
    converged: bool

    @property
    def omega(self) -> float:
        s = float(self.loadings.sum()) ** 2
        return s / (s + float(self.uniquenesses.sum()))


def one_factor_ml(cov: np.ndarray | pd.DataFrame) -> OneFactor:
    """Fit Σ = λλ' + diag(ψ) to a covariance matrix by maximum likelihood.

    Minimises F = log|Σ| + tr(SΣ⁻¹) − log|S| − p over λ and log ψ (BFGS with the exact
    gradient from the first principal axis, then Newton steps to the optimum's rounding).
    Loadings are signed so that their sum is positive.
    """
    S = np.asarray(cov, dtype=float)
    names = (
        list(cov.columns)
        if isinstance(cov, pd.DataFrame)
        else [f"item{i + 1}" for i in range(len(S))]
    )
    p = S.shape[0]
    _, logdet_s = np.linalg.slogdet(S)

    def f(theta: np.ndarray) -> float:
        return fg(theta)[0]

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lam, psi = theta[:p], np.exp(theta[p:])
        sigma = np.outer(lam, lam) + np.diag(psi)
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return 1e10, np.zeros_like(theta)
        inv = np.linalg.inv(sigma)
        D = inv - inv @ S @ inv  # dF / dSigma
        grad = np.concatenate([2.0 * D @ lam, np.diag(D) * psi])
        return logdet + np.trace(inv @ S) - logdet_s - p, grad

    w, v = np.linalg.eigh(S)
    lam0 = v[:, -1] * np.sqrt(w[-1]) * 0.9
    psi0 = np.clip(np.diag(S) - lam0**2, 0.05 * np.diag(S), None)
    opt = optimize.minimize(
        fg, np.concatenate([lam0, np.log(psi0)]), jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    x, g = _newton_polish(fg, opt.x, opt.jac)
    lam = x[:p] * (1 if x[:p].sum() >= 0 else -1)
    return OneFactor(
        loadings=pd.Series(lam, index=names, name="loading"),
        uniquenesses=pd.Series(np.exp(x[p:]), index=names, name="uniqueness"),
        discrepancy=f(x),
        converged=bool(opt.success) or float(np.max(np.abs(g))) < 1e-5,
    )


def _newton_polish(fg, x: np.ndarray, g: np.ndarray, steps: int = 3):
    """A few Newton steps from the BFGS optimum (Hessian by central differences of the exact
    gradient): the optimum to rounding, so that its printed digits do not depend on the path
    BFGS took (which moves with the CPU's last bits where the discrepancy is flat). A step
    that does not lower the gradient is not taken."""
    k = x.size
    for _ in range(steps):
        h = 1e-5 * np.maximum(np.abs(x), 0.1)
        H = np.empty((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = h[j]
            H[:, j] = (fg(x + e)[1] - fg(x - e)[1]) / (2.0 * h[j])
        try:
            new = x - np.linalg.solve(0.5 * (H + H.T), g)
        except np.linalg.LinAlgError:
            break
        g_new = fg(new)[1]
        if not np.max(np.abs(g_new)) < np.max(np.abs(g)):
            break
        x, g = new, g_new
    return x, g


def mcdonald_omega(items: pd.DataFrame, *, standardized: bool = False) -> float:
    """McDonald's omega (total) from a one-factor ML model on the complete rows of ``items``."""
    X = _complete(items)
    C = np.cov(X.to_numpy(), rowvar=False)
    if standardized:
        sd = np.sqrt(np.diag(C))
        C = C / np.outer(sd, sd)
    return one_factor_ml(pd.DataFrame(C, index=X.columns, columns=X.columns)).omega


def preparedness_scale(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    min_items: int | None = None,
    name: str = "prep_overall",
) -> pd.Series:
    """Overall preparedness: the mean of the answered ``prep_<domain>`` items.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical prisoners frame (not modified).
    items : sequence of str, optional
        Item columns (default every ``prep_<domain>`` of the codebook).
    min_items : int, optional
        Items that must be answered for a score (default: all). Fewer gives NaN.

    Returns
    -------
    pandas.Series
        Float scores named ``name`` on the 1-5 scale, aligned with ``data``.
    """
    cols = list(items) if items is not None else prep_items()
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"preparedness item(s) not in data: {missing}")
    need = len(cols) if min_items is None else int(min_items)
    if not 1 <= need <= len(cols):
        raise ValueError(f"min_items must be between 1 and {len(cols)}, got {min_items}")
    block = data[cols].astype(float)
    score = block.mean(axis=1).where(block.notna().sum(axis=1) >= need)
    return score.rename(name)


def scale_reliability(
    data: pd.DataFrame, items: Sequence[str] | None = None, *, scale: str = "prep_overall"
) -> pd.DataFrame:
    """Reliability of a scale as a one-row tidy frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``scale``, ``n_items``, ``n`` (complete rows), ``n_excluded`` (rows with a
        missing item), ``alpha``, ``omega`` (covariance-based), ``omega_standardized``,
        ``mean``, ``sd`` (of the mean score on complete rows). Unrounded.
    """
    cols = list(items) if items is not None else prep_items()
    X = _complete(data[cols])
    score = X.mean(axis=1)
    return pd.DataFrame(
        {
            "scale": [scale],
            "n_items": [len(cols)],
            "n": [len(X)],
            "n_excluded": [len(data) - len(X)],
            "alpha": [cronbach_alpha(X)],
            "omega": [mcdonald_omega(X)],
            "omega_standardized": [mcdonald_omega(X, standardized=True)],
            "mean": [float(score.mean())],
            "sd": [float(score.std(ddof=1))],
        }
    )
