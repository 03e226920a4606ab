"""lme4 backend of :func:`~reintegratie_stats.multivariate.mixed` (lazy: R is optional).

Delegates to ``reintegratie_stats.multilevel.lmer(..., backend="lme4")`` when that module exists;
otherwise calls pymer4's ``Lmer`` directly. R and pymer4 are imported only here, only when asked.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._design import make_design

if TYPE_CHECKING:
    from .mixed import MixedResults

__all__ = ["fit_lme4"]

_MISSING = (
    "backend='lme4' needs R with lme4 and the Python package pymer4 0.8.2 "
    "(pip install 'reintegratie-stats[lme4]'); use backend='native' otherwise"
)


def _import_pymer4():
    if importlib.util.find_spec("pymer4") is None or importlib.util.find_spec("rpy2") is None:
        raise ImportError(_MISSING)
    try:
        from pymer4.models import Lmer
    except Exception as exc:  # R missing or broken: rpy2 raises various errors at import
        raise ImportError(f"{_MISSING} ({type(exc).__name__}: {exc})") from None
    return Lmer


def fit_lme4(
    formula: str, fixed: str, group: str, data: pd.DataFrame, *, reml: bool
) -> MixedResults:
    """Fit with lme4 on the patsy design (so the coding and the term names are ours).

    The fixed-effects model matrix is built in Python and handed to R as numeric columns
    ``b1..bk`` with ``y ~ 0 + b1 + ... + bk + (1 | g)``: patsy syntax such as ``C(sex)``
    never reaches R, and lme4 estimates exactly the parameters MixedLM estimates.
    """
    from .mixed import MixedResults

    Lmer = _import_pymer4()
    d = make_design(fixed, data, extra_columns=(group,))
    names = list(d.names)
    safe = [f"b{i + 1}" for i in range(len(names))]
    frame = pd.DataFrame(d.X.to_numpy(), columns=safe)
    frame.insert(0, "y", d.y.to_numpy())
    frame["g"] = d.frame[group].astype(str).to_numpy()
    m = Lmer("y ~ 0 + " + " + ".join(safe) + " + (1 | g)", data=frame)
    m.fit(REML=reml, summarize=False)
    from rpy2 import robjects

    vc = np.asarray(robjects.r["as.matrix"](robjects.r["vcov"](m.model_obj)))
    coefs = m.coefs
    idx = [list(coefs.index).index(c) for c in safe]
    rv = m.ranef_var
    group_var = float(rv.loc[rv.index != "Residual", "Var"].iloc[0])
    resid_var = float(rv.loc["Residual", "Var"])
    est = "REML" if reml else "ML"
    return MixedResults(
        params=pd.Series(coefs["Estimate"].to_numpy()[idx], index=names, name="params"),
        cov=pd.DataFrame(vc[np.ix_(idx, idx)], index=names, columns=names),
        nobs=len(frame),
        llf=float(m.logLike),
        use_t=False,
        model=f"Linear mixed model ({est}), random intercept by {group} [lme4 via pymer4]",
        formula=formula,
        cov_type="model-based",
        cov_description=f"lme4 vcov() of the fixed effects ({est}); Wald z tests.",
        n_extra_params=2,
        extra={
            "n_excluded": d.n_excluded,
            "excluded_by": d.excluded_by,
            "n_groups": int(frame["g"].nunique()),
            "group_var": group_var,
            "resid_var": resid_var,
            "icc": group_var / (group_var + resid_var),
            "backend": "lme4",
            "reml": reml,
        },
        design_info=d.design_info,
        frame=d.frame,
        endog_name=str(d.y.name),
        group_var=group_var,
        resid_var=resid_var,
    )
