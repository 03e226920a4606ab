"""The one bridge to R's lme4 (through pymer4 and rpy2), imported lazily: R is optional.

``multilevel``'s ``backend="lme4"`` (any lme4 formula, R builds the design) and
``multivariate.mixed(backend="lme4")`` (our patsy design handed over as numbers) both come
through here, so both say the same thing when R or pymer4 is missing and read a fitted merMod
the same way.

Examples
--------
>>> INSTALL.startswith("backend='lme4' needs R with the lme4 package")
True
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

import numpy as np

__all__ = ["INSTALL", "import_pymer4", "read_lmer", "lmer_numeric"]

INSTALL = (
    "backend='lme4' needs R with the lme4 package and the Python packages pymer4==0.8.2 and rpy2 "
    "(pip install 'reintegratie-stats[lme4]'); use backend='native' otherwise"
)


def import_pymer4() -> tuple[Any, Any]:
    """pymer4's ``Lmer`` and rpy2's ``robjects``, or one ImportError saying what to install."""
    if importlib.util.find_spec("pymer4") is None or importlib.util.find_spec("rpy2") is None:
        raise ImportError(INSTALL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pymer4.models import Lmer
            from rpy2 import robjects
    except Exception as exc:  # R missing or broken: rpy2 raises various errors at import
        raise ImportError(f"{INSTALL} ({type(exc).__name__}: {exc})") from None
    return Lmer, robjects


def read_lmer(mobj: Any, ro: Any) -> dict[str, Any]:
    """The numbers of a fitted (g)lmer: fixef, vcov, theta, VarCorr, logLik, isSingular, messages."""
    r = ro.r
    fe = r("function(m) lme4::fixef(m)")(mobj)
    names = [str(n) for n in r["names"](fe)]
    vc = r(
        "function(m) { v <- as.data.frame(lme4::VarCorr(m)); v <- v[is.na(v$var2), ];"
        " list(grp = as.character(v$grp), var1 = as.character(v$var1), vcov = v$vcov) }"
    )(mobj)
    n_msg = int(r("function(m) length(m@optinfo$conv$lme4$messages)")(mobj)[0])
    return {
        "names": names,
        "params": np.asarray(fe, dtype=float),
        "cov": np.asarray(r("function(m) as.matrix(vcov(m))")(mobj), dtype=float).reshape(
            len(names), -1
        ),
        "theta": np.asarray(r("function(m) lme4::getME(m, 'theta')")(mobj), dtype=float),
        "theta_names": [str(n) for n in r("function(m) names(lme4::getME(m, 'theta'))")(mobj)],
        "vc_grp": list(vc[0]),
        "vc_var1": list(vc[1]),
        "vc": np.asarray(vc[2], dtype=float),
        "llf": float(r("function(m) as.numeric(logLik(m))")(mobj)[0]),
        "df_ll": int(r("function(m) attr(logLik(m), 'df')")(mobj)[0]),
        "nobs": int(r("function(m) nobs(m)")(mobj)[0]),
        "singular": bool(r("function(m) lme4::isSingular(m)")(mobj)[0]),
        "messages": (
            [str(s) for s in r("function(m) unlist(m@optinfo$conv$lme4$messages)")(mobj)]
            if n_msg
            else []
        ),
    }


def lmer_numeric(y: np.ndarray, X: np.ndarray, groups: np.ndarray, *, reml: bool) -> dict[str, Any]:
    """``lmer(y ~ 0 + b1 + ... + bk + (1 | g))`` on a numeric design; :func:`read_lmer`'s dict.

    The columns keep their order (``params[j]`` belongs to ``X[:, j]``): patsy syntax never
    reaches R, so lme4 estimates exactly the parameters of the native fit.
    """
    import pandas as pd

    Lmer, ro = import_pymer4()
    safe = [f"b{i + 1}" for i in range(X.shape[1])]
    frame = pd.DataFrame(np.asarray(X, dtype=float), columns=safe)
    frame.insert(0, "y", np.asarray(y, dtype=float))
    frame["g"] = np.asarray(groups).astype(str)
    m = Lmer("y ~ 0 + " + " + ".join(safe) + " + (1 | g)", data=frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(REML=reml, summarize=False, verbose=False, no_warnings=True)
    out = read_lmer(m.model_obj, ro)
    idx = [out["names"].index(c) for c in safe]
    out["params"] = out["params"][idx]
    out["cov"] = out["cov"][np.ix_(idx, idx)]
    out["n_groups"] = int(frame["g"].nunique())
    return out
