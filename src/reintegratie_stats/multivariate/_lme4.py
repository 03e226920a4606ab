"""lme4 backend of :func:`~reintegratie_stats.multivariate.mixed` (lazy: R is optional).

The fixed-effects model matrix is built in Python and handed to R as numbers through the shared
bridge :func:`reintegratie_stats.statistics.r_bridge.lmer_numeric`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..results import ConvergenceInfo
from ..statistics.r_bridge import lmer_numeric
from ._design import make_design

__all__ = ["fit_lme4"]


def fit_lme4(
    formula: str, fixed: str, group: str, data: pd.DataFrame, *, reml: bool
) -> dict[str, Any]:
    """Fit with lme4 on the patsy design (so the coding and the term names are ours).

    Returns the fields of a :class:`~reintegratie_stats.multivariate.mixed.MixedResults`
    (``mixed`` builds the object, so this module does not import it back).
    """
    d = make_design(fixed, data, extra_columns=(group,))
    names = list(d.names)
    r = lmer_numeric(d.y.to_numpy(), d.X.to_numpy(), d.frame[group].to_numpy(), reml=reml)
    vc = dict(zip(r["vc_grp"], r["vc"], strict=True))
    group_var, resid_var = float(vc["g"]), float(vc["Residual"])
    est = "REML" if reml else "ML"
    return dict(
        params=pd.Series(r["params"], index=names, name="params"),
        cov=pd.DataFrame(r["cov"], index=names, columns=names),
        nobs=r["nobs"],
        llf=r["llf"],
        use_t=False,
        model=f"Linear mixed model ({est}), random intercept by {group} [lme4 via pymer4]",
        formula=formula,
        cov_type="model-based",
        cov_description=f"lme4 vcov() of the fixed effects ({est}); Wald z tests.",
        n_extra_params=2,
        extra={
            "n_excluded": d.n_excluded,
            "excluded_by": d.excluded_by,
            "n_groups": r["n_groups"],
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
        convergence=ConvergenceInfo(
            converged=not [m for m in r["messages"] if "singular" not in m],
            singular=r["singular"],
            messages=tuple(r["messages"]),
        ),
        variance_components=pd.Series({group: group_var}, name="variance"),
        theta=pd.Series(r["theta"], index=[f"{group}.(Intercept)"], name="theta"),
    )
