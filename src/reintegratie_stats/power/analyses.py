"""The analyses a power study refits on every simulated wave, and the tests it counts.

An :class:`Analysis` turns one drawn twin into the model frame of a thesis chapter and names
the model's formula; a *test* fits it and returns the p-value of the target term. The test is
a parameter of :func:`reintegratie_stats.power.power`: :class:`WaldTest` (one refit per
simulated wave; ``glmer(ddf="between-within")`` for the two-level models, the cluster-robust t
on G - 1 df for the chapter-5 OLS) is the default. Any callable with the same signature can
replace it, e.g. a parametric-bootstrap likelihood-ratio test (``multilevel.bootstrap``, issue
16's inference companion): it costs about ``n_boot`` x 2 extra refits per simulated wave
(~1,000 refits, so ~1,000 times the Wald test's time per simulation).

Examples
--------
>>> from reintegratie_stats.synth import generate
>>> a = ANALYSES["family_child_visits"]
>>> frame = a.prepare(generate(seed=1, n_prisoners=800))
>>> a.outcome, bool(frame["any_visits_children"].isin([0.0, 1.0]).all())
('any_visits_children', True)
>>> out = WaldTest()(a, frame, "has_family_room")
>>> sorted(out)
['converged', 'df', 'estimate', 'p_value', 'se', 'singular', 'statistic']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from ..multilevel import GLMMControl, glmer
from ..multivariate import ols
from ..schema import load_codebook
from ..synth import SynthData, institution_covariates, preparedness_design, preparedness_terms

__all__ = ["ANALYSES", "Analysis", "PowerTest", "WaldTest"]

GROUP = "institution_id"
#: The chapter-4 individual controls (``multilevel.DEFAULT_CONTROLS``), ``sex`` as a 0/1
#: ``male`` column: the same column space as patsy's ``sex[T.male]``, without patsy per refit.
CONTROLS: tuple[str, ...] = ("male", "age", "weeks_detained", "prior_convictions")


@dataclass(frozen=True)
class Analysis:
    """A chapter's model as a power study refits it.

    Attributes
    ----------
    name : str
    model : {"glmer", "ols_cluster"}
        Two-level logistic model with a random institution intercept, or OLS with CR1
        cluster-robust standard errors by institution.
    outcome : str
    predictors : tuple of str
        Fixed-effect terms (the tested term is one of them).
    prepare : callable
        ``SynthData -> DataFrame`` with the outcome, the predictors and ``institution_id``.
    description : str
    blocks : {"all", "family"}
        What the simulation draws: the whole twin (``synth.generate``) or only the
        institutions, registration and family blocks (``synth.draw_family``: the same values,
        about a fifth of the time; ``professionals`` is then empty).
    """

    name: str
    model: Literal["glmer", "ols_cluster"]
    outcome: str
    predictors: tuple[str, ...]
    prepare: Callable[[SynthData], pd.DataFrame]
    description: str = ""
    blocks: Literal["all", "family"] = "all"

    def formula(self, frame: pd.DataFrame | None = None, keep: Sequence[str] = ()) -> str:
        """The model formula; with ``frame``, predictors constant in it are left out.

        A facility that no institution (or every institution) of one small simulated wave
        has cannot be estimated; it is dropped from that refit unless it is in ``keep``
        (the tested term: its fit then fails and counts as a non-rejection).
        """
        terms = list(self.predictors)
        if frame is not None:
            terms = [t for t in terms if t in keep or frame[t].nunique(dropna=True) > 1]
        rhs = " + ".join(terms) if terms else "1"
        if self.model == "glmer":
            return f"{self.outcome} ~ {rhs} + (1 | {GROUP})"
        return f"{self.outcome} ~ {rhs}"

    def key(self) -> dict[str, Any]:
        """What identifies the analysis in the cache: name, model and formula."""
        return {"name": self.name, "model": self.model, "formula": self.formula()}

    def check_term(self, term: str) -> None:
        """Raise ``ValueError`` naming the predictors unless ``term`` is one of them."""
        if term not in self.predictors:
            raise ValueError(
                f"term {term!r} is not a predictor of analysis {self.name!r}; "
                f"its predictors are {list(self.predictors)}"
            )


class PowerTest(Protocol):
    """What :func:`~reintegratie_stats.power.power` calls on every simulated wave.

    ``test(analysis, frame, term)`` returns a dict with at least ``p_value`` (NaN if the fit
    failed) and may add ``estimate``, ``se``, ``statistic``, ``df``, ``singular``. ``name``
    and ``key()`` identify the test in tables and in the cache; ``refits`` is the number of
    model fits per simulated wave (the cost).
    """

    name: str
    refits: int

    def __call__(self, analysis: Analysis, frame: pd.DataFrame, term: str) -> dict[str, Any]: ...

    def key(self) -> dict[str, Any]: ...


#: singular fits and convergence messages are recorded per simulation, not warned 1,000 times
_QUIET = GLMMControl(check_conv="ignore", check_singular="ignore", check_separation="ignore")


@dataclass(frozen=True)
class WaldTest:
    """Wald test of one term: the calibrated test of issue 16's inference companion.

    Parameters
    ----------
    ddf : {"between-within", "asymptotic"}
        Reference distribution of the two-level models (``multilevel.glmer(ddf=...)``):
        Student's t with between-within df (26 institutions and 7 institution-level
        parameters: 19 df for a facility), or lme4's z. The chapter-5 OLS always uses its
        cluster-robust t on G - 1 df.
    nagq : int
        Adaptive Gauss-Hermite points (1 = Laplace, as the chapter).
    """

    ddf: Literal["between-within", "asymptotic"] = "between-within"
    nagq: int = 1
    refits: int = 1

    @property
    def name(self) -> str:
        return f"wald ({self.ddf} df)"

    def key(self) -> dict[str, Any]:
        return {"test": "wald", "ddf": self.ddf, "nagq": self.nagq}

    def __call__(self, analysis: Analysis, frame: pd.DataFrame, term: str) -> dict[str, Any]:
        formula = analysis.formula(frame, keep=(term,))
        with warnings.catch_warnings():
            # singular fits (no institution variance) are the rule in some analyses; recorded
            warnings.simplefilter("ignore")
            if analysis.model == "glmer":
                res = glmer(
                    formula,
                    frame,
                    nagq=self.nagq,
                    ddf=self.ddf,
                    control=_QUIET,
                )
                singular = bool(res.convergence.singular)
                converged = bool(res.convergence.converged)
            else:
                res = ols(formula, frame, cluster=GROUP)
                singular, converged = False, True
            return {
                "estimate": float(res.params[term]),
                "se": float(res.bse[term]),
                "statistic": float(res.params[term] / res.bse[term]),
                "df": float(res.df[term]),
                "p_value": float(res.pvalues[term]),
                "singular": singular,
                "converged": converged,
            }


# ---------------------------------------------------------------------------------------------
# the chapters' model frames
# ---------------------------------------------------------------------------------------------
def _standardise(frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    # as the chapter (multilevel.facilitation): numeric non-binary predictors per SD; a Wald
    # test is invariant to the scaling, the optimiser is better conditioned
    for c in cols:
        x = frame[c].to_numpy(dtype=float)
        if np.unique(x).size > 2:
            sd = x.std(ddof=1)
            if sd > 0:
                frame[c] = (x - x.mean()) / sd
    return frame


def _controls(prisoners: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=prisoners.index)
    out[GROUP] = prisoners[GROUP].astype(str)
    out["male"] = (prisoners["sex"] == "male").astype(float).where(prisoners["sex"].notna())
    for c in CONTROLS[1:]:
        out[c] = prisoners[c].astype(float)
    return out


def _family_frame(data: SynthData, outcome: str) -> pd.DataFrame:
    # Column by column in numpy: this frame is built once per simulated wave, and the
    # pandas route (family_outcomes on a copy of the prisoners, a join, dropna) took half as
    # long as the refit. tests/test_power.py checks it against the chapter's own fit.
    facilities = list(load_codebook().family_facilities)
    pris = data.prisoners
    kids = pris["has_children"].to_numpy(dtype=float) == 1
    ids = pris[GROUP].astype(str).to_numpy()[kids]
    inst = data.institutions
    pos = pd.Index(inst[GROUP].astype(str)).get_indexer(ids)
    if (pos < 0).any():
        bad = sorted(set(ids[pos < 0]))[:5]
        raise ValueError(f"prisoners.institution_id not in institutions: {bad}")
    sex = pris["sex"].to_numpy()[kids]
    cols: dict[str, np.ndarray] = {
        GROUP: ids,
        "male": np.where(pd.isna(sex), np.nan, (sex == "male").astype(float)),
    }
    for c in CONTROLS[1:]:
        cols[c] = pris[c].to_numpy(dtype=float)[kids]
    if outcome in _ANY:  # as multilevel.family_outcomes: any = more than 0, missing stays
        x = pris[_ANY[outcome]].to_numpy(dtype=float)[kids]
        cols[outcome] = np.where(np.isnan(x), np.nan, (x > 0).astype(float))
    else:
        cols[outcome] = pris[outcome].to_numpy(dtype=float)[kids]
    for f in facilities:
        cols[f] = inst[f].to_numpy(dtype=float)[pos]
    num = np.column_stack([v for k, v in cols.items() if k != GROUP])
    ok = ~np.isnan(num).any(axis=1)
    out = pd.DataFrame({k: v[ok] for k, v in cols.items()})
    return _standardise(out, [*CONTROLS, *facilities])


_ANY = {"any_visits_children": "visits_children", "any_video_calls": "video_calls_month"}


def family_child_visits(data: SynthData) -> pd.DataFrame:
    """Chapter-4 family model frame: parents, any visit by their children last month."""
    return _family_frame(data, "any_visits_children")


def family_parent_child_day(data: SynthData) -> pd.DataFrame:
    """Chapter-4 family model frame: parents, took part in a parent-child day."""
    return _family_frame(data, "parent_child_day")


def probation_facilitation(data: SynthData) -> pd.DataFrame:
    """Chapter-4 facilitation frame: contact with probation on the institution's scores."""
    cov = institution_covariates(data.institutions, data.professionals)
    out = _controls(data.prisoners)
    out["contact_probation"] = data.prisoners["contact_probation"].astype(float)
    out = out.join(cov[["facilitation", "rating_accessibility"]], on=GROUP).dropna()
    return _standardise(out, [*CONTROLS, "facilitation", "rating_accessibility"])


_SN_TERMS = preparedness_terms("social_network")


def social_network_preparedness(data: SynthData) -> pd.DataFrame:
    """Chapter-5 frame: soon-to-be-released prisoners, social-network preparedness on support
    satisfaction (centred coding), the need and family contact, with the controls."""
    soon = data.prisoners[data.prisoners["soon_released"] == 1]
    X = preparedness_design(soon, "social_network")
    out = _controls(soon).join(X.drop(columns="Intercept"))
    out["prep_social_network"] = soon["prep_social_network"].astype(float)
    return out.dropna()


_FAMILY_PREDICTORS = (*CONTROLS, *load_codebook().family_facilities)

#: The built-in analyses by name (the default of each :data:`EFFECTS` entry).
ANALYSES: dict[str, Analysis] = {
    a.name: a
    for a in (
        Analysis(
            "family_child_visits",
            "glmer",
            "any_visits_children",
            _FAMILY_PREDICTORS,
            family_child_visits,
            "chapter 4 (family): parents; any visit by their children last month on the six "
            "family facilities and the individual controls, random institution intercept",
            blocks="family",
        ),
        Analysis(
            "family_parent_child_day",
            "glmer",
            "parent_child_day",
            _FAMILY_PREDICTORS,
            family_parent_child_day,
            "chapter 4 (family): parents; parent-child day on the six family facilities and the "
            "individual controls, random institution intercept",
            blocks="family",
        ),
        Analysis(
            "probation_facilitation",
            "glmer",
            "contact_probation",
            (*CONTROLS, "facilitation", "rating_accessibility"),
            probation_facilitation,
            "chapter 4: contact with probation on facilitation (mean of the reception, "
            "communication, information and facilities ratings) and accessibility, with the "
            "individual controls, random institution intercept",
        ),
        Analysis(
            "social_network_preparedness",
            "ols_cluster",
            "prep_social_network",
            (*CONTROLS, *(t for t in _SN_TERMS if t != "Intercept")),
            social_network_preparedness,
            "chapter 5: soon-to-be-released prisoners; social-network preparedness (1-5) on "
            "support satisfaction (centred), the need, their interactions and family contact, "
            "with the controls; OLS with CR1 cluster-robust SEs by institution",
        ),
    )
}


def _finite(x: Any) -> float:
    v = float(x)
    return v if np.isfinite(v) else float("nan")
