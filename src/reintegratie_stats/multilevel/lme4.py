"""R's lme4 through pymer4 (``backend="lme4"``): any lme4 model, same :class:`GLMMResult` contract.

pymer4's ``Lmer`` fits the model; the numbers are read from its merMod object through rpy2
(``fixef``, ``vcov``, ``getME(m, "theta")``, ``logLik``, ``VarCorr``, ``ranef(condVar=TRUE)``).
pymer4 has no ``nAGQ`` argument, so for ``nagq > 1`` the fitted object is refitted with
``update(m, nAGQ = nagq)`` in R. Imports are lazy: without R or pymer4 a one-line
``ImportError`` says what to install.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..results import ConvergenceInfo, ConvergenceWarning
from ..statistics.complete_cases import complete_cases
from ..statistics.formula import parse_formula
from ..statistics.r_bridge import INSTALL, import_pymer4, read_lmer
from .results import GLMMResult, ranef_frame

__all__ = ["glmer_lme4", "lmer_lme4", "r_formula"]

_INSTALL = INSTALL


def _pymer4() -> tuple[Any, Any]:
    return import_pymer4()


def r_formula(formula: str) -> str:
    """Translate the patsy spellings we accept into R: ``C(x)`` -> ``x``."""
    return re.sub(r"\bC\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)", r"\1", formula)


def _prepare(formula: str, data: pd.DataFrame) -> tuple[pd.DataFrame, int, dict[str, int]]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    pf = parse_formula(formula)
    if pf.response not in data.columns:
        raise ValueError(f"column {pf.response!r} from the formula is not in the data")
    cc = complete_cases(data, pf.variables(data.columns))
    sub = cc.frame
    for c in sub.columns:  # R sees strings as character -> factor; keep numbers numeric
        if not pd.api.types.is_numeric_dtype(sub[c]):
            sub[c] = sub[c].astype(str).astype(object)
    return sub.reset_index(drop=True), cc.n_excluded, cc.excluded_by


def _fit(
    formula: str, data: pd.DataFrame, family: str, reml: bool, nagq: int
) -> tuple[Any, Any, pd.DataFrame, int, dict[str, int]]:
    Lmer, ro = _pymer4()
    sub, n_excl, excl_by = _prepare(formula, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = Lmer(r_formula(formula), data=sub, family=family)
            model.fit(REML=reml, summarize=False, verbose=False, no_warnings=True)
    except Exception as exc:
        if "lme4" in str(exc) and "package" in str(exc):
            raise ImportError(f"{_INSTALL}; R said: {exc}") from exc
        raise
    mobj = model.model_obj
    if family != "gaussian" and nagq != 1:
        mobj = ro.r("function(m, q) update(m, nAGQ = q)")(mobj, nagq)
    return mobj, ro, sub, n_excl, excl_by


def _r_name(patsy_name: str) -> str:
    """R's name for a patsy column: ``sex[T.male]`` -> ``sexmale``, ``C(period)[T.2]`` ->
    ``period2`` (as :func:`r_formula` hands it to R), ``Intercept`` -> ``(Intercept)``."""
    if patsy_name == "Intercept":
        return "(Intercept)"
    return re.sub(r"\[T\.(.*?)\]", r"\1", r_formula(patsy_name))


def _patsy_order(
    formula: str, sub: pd.DataFrame, names: list[str], params: np.ndarray, cov: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Relabel R's fixed effects with patsy's names (the native backend's), matched by name.

    R and patsy order terms differently (patsy puts categorical terms first), so matching by
    position would swap labels. Where a patsy column has no R counterpart, R's names are kept.
    """
    r_names = ["Intercept" if n == "(Intercept)" else n for n in names]
    try:
        import patsy

        fixed = parse_formula(formula).fixed
        xn = list(patsy.dmatrix(fixed.split("~", 1)[1], sub, return_type="dataframe").columns)
    except Exception:  # patsy cannot build the same design: keep R's names
        return r_names, params, cov
    where = {n: i for i, n in enumerate(names)}
    order = [where.get(_r_name(x)) for x in xn]
    if len(xn) != len(names) or any(i is None for i in order):
        return r_names, params, cov
    idx = np.asarray(order)
    return xn, params[idx], cov[np.ix_(idx, idx)]


def _result(
    mobj: Any,
    ro: Any,
    formula: str,
    sub: pd.DataFrame,
    n_excl: int,
    excl_by: dict[str, int],
    family: str,
    nagq: int,
    reml: bool,
) -> GLMMResult:
    r = ro.r
    got = read_lmer(mobj, ro)
    names, params, cov = got["names"], got["params"], got["cov"]
    theta, theta_names = got["theta"], got["theta_names"]
    llf, df_ll, nobs = got["llf"], got["df_ll"], got["nobs"]
    comps, resid = {}, float("nan")
    for g, v1, val in zip(got["vc_grp"], got["vc_var1"], got["vc"], strict=True):
        if g == "Residual":
            resid = val
        else:
            comps[g if v1 == "(Intercept)" else f"{g}:{v1}"] = val
    re = r(
        "function(m) { d <- as.data.frame(lme4::ranef(m, condVar = TRUE));"
        " list(grpvar = as.character(d$grpvar), term = as.character(d$term),"
        " grp = as.character(d$grp), condval = d$condval, condsd = d$condsd) }"
    )(mobj)
    ref = pd.DataFrame(
        {
            "grpvar": list(re[0]),
            "term": list(re[1]),
            "level": list(re[2]),
            "estimate": np.asarray(re[3], dtype=float),
            "std_error": np.asarray(re[4], dtype=float),
        }
    )
    first = ref[(ref["grpvar"] == ref["grpvar"].iloc[0]) & (ref["term"] == "(Intercept)")]
    gname = str(ref["grpvar"].iloc[0])
    sizes = sub[gname].astype(str).value_counts() if gname in sub.columns else None
    n = (
        sizes.reindex(first["level"]).fillna(0).to_numpy()
        if sizes is not None
        else np.zeros(len(first))
    )
    ranef = ranef_frame(
        gname, tuple(first["level"]), n, first["estimate"].to_numpy(), first["std_error"].to_numpy()
    )
    msgs = list(got["messages"])
    singular = got["singular"]
    if singular and not any("singular" in m for m in msgs):
        msgs.append("boundary (singular) fit: see help('isSingular')")
    for m in msgs:
        warnings.warn(f"lme4: {m}", ConvergenceWarning, stacklevel=3)
    names, params, cov = _patsy_order(formula, sub, names, params, cov)
    gaussian = family == "gaussian"
    method = (
        ("REML" if reml else "ML")
        if gaussian
        else ("Laplace" if nagq == 1 else f"adaptive Gauss-Hermite, nAGQ={nagq}")
    )
    extra: dict[str, Any] = {"n_groups": len(first), "n_excluded": n_excl, "excluded_by": excl_by}
    if n_excl:
        extra["rows excluded (missing values)"] = (
            f"{n_excl} ({', '.join(f'{c}: {k}' for c, k in excl_by.items())})"
        )
    return GLMMResult(
        params=pd.Series(params, index=names, name="params"),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=nobs,
        llf=llf,
        model=(
            f"Linear mixed model ({method}; lme4)"
            if gaussian
            else f"Generalized linear mixed model (binomial, logit; {method}; lme4)"
        ),
        formula=formula,
        cov_type="lme4",
        cov_description="lme4's vcov() (Hessian-based for glmer with nAGQ > 0)",
        n_extra_params=df_ll - len(names),
        extra=extra,
        variance_components=pd.Series(comps, name="variance"),
        theta=pd.Series(theta, index=theta_names, name="theta"),
        ranef=ranef,
        convergence=ConvergenceInfo(
            converged=not [m for m in msgs if "singular" not in m],
            singular=singular,
            messages=tuple(msgs),
        ),
        optim_info={"optimizer": "lme4"},
        family="binomial" if not gaussian else "gaussian",
        nagq=nagq,
        backend="lme4",
        residual_variance=resid if gaussian else np.pi**2 / 3,
    )


def glmer_lme4(
    formula: str, data: pd.DataFrame, family: str = "binomial", nagq: int = 1
) -> GLMMResult:
    """Fit ``lme4::glmer`` through pymer4 and return a :class:`GLMMResult`."""
    mobj, ro, sub, n_excl, excl_by = _fit(formula, data, family, reml=False, nagq=nagq)
    return _result(mobj, ro, formula, sub, n_excl, excl_by, family, nagq, reml=False)


def lmer_lme4(formula: str, data: pd.DataFrame, reml: bool = True) -> GLMMResult:
    """Fit ``lme4::lmer`` through pymer4 and return a :class:`GLMMResult`."""
    mobj, ro, sub, n_excl, excl_by = _fit(formula, data, "gaussian", reml=reml, nagq=1)
    return _result(mobj, ro, formula, sub, n_excl, excl_by, "gaussian", 1, reml=reml)
