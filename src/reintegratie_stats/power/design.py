"""The design of a survey wave and the named effects a power study varies.

A :class:`Design` says how the wave is drawn (institutions, prisoners, share with children,
facility prevalences); an :class:`Effect` names one true parameter of the twin
(:class:`~reintegratie_stats.synth.SynthParams`, dotted path as in
:func:`~reintegratie_stats.synth.set_parameters`) with its natural scale, its null value and
the analysis term that estimates it.

Examples
--------
>>> d = Design(n_institutions=30, per_institution=130, share_with_children=0.5)
>>> d.total_prisoners, d.name
(3900, '30 institutions x 130 (3,900 prisoners), 50% with children')
>>> EFFECTS["family_room_visit_ratio"].null
1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..synth import SynthParams, get_parameter, set_parameters

__all__ = ["EFFECTS", "Design", "Effect", "size_grid"]

#: Size of the 2019 DPVS wave (SPEC section 2): the default design.
DPVS_PRISONERS = 4100
DPVS_INSTITUTIONS = 26
DPVS_PROFESSIONALS = 1000


@dataclass(frozen=True)
class Design:
    """How one wave is drawn from the twin.

    Parameters
    ----------
    n_institutions : int
        Institutions in the wave (default 26, the 2019 wave).
    n_prisoners : int, optional
        Prisoners in total. Give this or ``per_institution``; with neither, 4,100.
    per_institution : int, optional
        Prisoners per institution on average (institution sizes vary as in the twin:
        log-normal, ``SynthParams.institution_size_sdlog``); total = ``n_institutions`` x this.
    share_with_children : float, optional
        Share of prisoners with minor children (the twin's ``has_children_rate``, default .45).
    facility_prevalence : mapping, optional
        Probability that an institution has a facility, by ``SynthParams.facility_rates`` key
        (``has_family_room``, ``video_calling``, ...); the others keep the twin's rates.
    n_professionals : int, optional
        External professionals rating the institutions; default 1,000 x n_institutions / 26
        (the same raters per institution as in 2019).
    label : str, optional
        Name in tables and figures (default: built from the sizes, :attr:`name`).
    """

    n_institutions: int = DPVS_INSTITUTIONS
    n_prisoners: int | None = None
    per_institution: int | None = None
    share_with_children: float | None = None
    facility_prevalence: Mapping[str, float] = field(default_factory=dict)
    n_professionals: int | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        def _count(name: str, v: Any, low: int) -> None:
            if v is None:
                return
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"Design.{name} must be an integer >= {low}, got {v!r}")

        _count("n_institutions", self.n_institutions, 2)
        _count("n_prisoners", self.n_prisoners, 1)
        _count("per_institution", self.per_institution, 1)
        _count("n_professionals", self.n_professionals, 1)
        if self.n_prisoners is not None and self.per_institution is not None:
            raise ValueError("Design: give n_prisoners (total) or per_institution, not both")
        if self.share_with_children is not None and not 0.0 < self.share_with_children < 1.0:
            raise ValueError(
                f"Design.share_with_children must lie strictly between 0 and 1, "
                f"got {self.share_with_children!r}"
            )
        rates = SynthParams().facility_rates
        for k, v in self.facility_prevalence.items():
            if k not in rates:
                raise ValueError(
                    f"Design.facility_prevalence: unknown facility {k!r}; use {sorted(rates)}"
                )
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"Design.facility_prevalence[{k!r}] = {v!r} is not a probability")
        if self.professionals < self.n_institutions:
            raise ValueError(
                f"Design.n_professionals ({self.professionals}) must be >= n_institutions "
                f"({self.n_institutions}): every institution needs a rating"
            )

    @property
    def total_prisoners(self) -> int:
        """Prisoners in the wave."""
        if self.per_institution is not None:
            return self.n_institutions * self.per_institution
        return self.n_prisoners if self.n_prisoners is not None else DPVS_PRISONERS

    @property
    def professionals(self) -> int:
        """External professionals in the wave."""
        if self.n_professionals is not None:
            return self.n_professionals
        return max(self.n_institutions, round(DPVS_PROFESSIONALS * self.n_institutions / 26))

    @property
    def name(self) -> str:
        """``label`` or a description of the sizes."""
        if self.label:
            return self.label
        n, j = self.total_prisoners, self.n_institutions
        out = f"{j} institutions x {round(n / j)} ({n:,} prisoners)"
        if self.share_with_children is not None:
            out += f", {self.share_with_children:.0%} with children"
        if self.facility_prevalence:
            out += ", " + ", ".join(f"{k} {v:.0%}" for k, v in self.facility_prevalence.items())
        return out

    def overrides(self) -> dict[str, float]:
        """The truth parameters this design sets (dotted names)."""
        out: dict[str, float] = {}
        if self.share_with_children is not None:
            out["has_children_rate"] = float(self.share_with_children)
        for k, v in self.facility_prevalence.items():
            out[f"facility_rates.{k}"] = float(v)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (the cache key and the table columns use it)."""
        return {
            "design": self.name,
            "n_institutions": self.n_institutions,
            "n_prisoners": self.total_prisoners,
            "n_professionals": self.professionals,
            "share_with_children": (
                float(self.share_with_children)
                if self.share_with_children is not None
                else float(SynthParams().has_children_rate)
            ),
            "facility_prevalence": {
                k: float(v) for k, v in sorted(self.facility_prevalence.items())
            },
        }


def size_grid(
    n_institutions: Sequence[int],
    *,
    per_institution: int | None = None,
    n_prisoners: int | None = None,
    **kwargs: Any,
) -> list[Design]:
    """Designs over a grid of institution counts.

    With ``per_institution`` the total grows with the institutions; with ``n_prisoners`` the
    total stays fixed (more, smaller institutions). Other keywords go to :class:`Design`.

    Examples
    --------
    >>> [d.total_prisoners for d in size_grid([20, 26, 30], n_prisoners=4100)]
    [4100, 4100, 4100]
    >>> [d.total_prisoners for d in size_grid([20, 30], per_institution=100)]
    [2000, 3000]
    """
    return [
        Design(
            n_institutions=int(j),
            per_institution=per_institution,
            n_prisoners=n_prisoners,
            **kwargs,
        )
        for j in n_institutions
    ]


@dataclass(frozen=True)
class Effect:
    """A named true parameter of the twin, as a power study varies it.

    Attributes
    ----------
    parameter : str
        Dotted path into :class:`~reintegratie_stats.synth.SynthParams`.
    null : float
        The value at which the effect is absent (a ratio 1, a slope 0).
    unit : str
        The natural scale of the value.
    analysis : str
        Name of the default analysis (:data:`reintegratie_stats.power.ANALYSES`).
    term : str
        The term of that analysis whose test is the power target.
    """

    parameter: str
    null: float
    unit: str
    analysis: str
    term: str
    #: the values the twin can use (inclusive)
    bounds: tuple[float, float] = (-float("inf"), float("inf"))

    def check(self, value: float) -> None:
        """Raise ``ValueError`` naming the parameter and its unit for an unusable value."""
        lo, hi = self.bounds
        if not np.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"{self.parameter} = {value!r} is outside [{lo}, {hi}] ({self.unit})")
        set_parameters({self.parameter: float(value)})  # the twin's own validation

    @property
    def default(self) -> float:
        """The value in the default twin (the 2019 wave)."""
        return float(get_parameter(self.parameter))

    def params(self, value: float, base: SynthParams | None = None) -> SynthParams:
        """``base`` with this parameter set to ``value``."""
        return set_parameters({self.parameter: float(value)}, base)


#: The effects of the issue's questions (SPEC section 4 and chapters 4-5), by parameter name.
EFFECTS: dict[str, Effect] = {
    e.parameter: e
    for e in (
        Effect(
            "family_room_visit_ratio",
            1.0,
            "rate ratio of children's visits per month, institution with vs without a family room",
            "family_child_visits",
            "has_family_room",
            (1e-6, 100.0),
        ),
        Effect(
            "child_friendly_visit_ratio",
            1.0,
            "rate ratio of children's visits per month, child-friendly visiting area vs none",
            "family_child_visits",
            "has_child_friendly_visiting",
            (1e-6, 100.0),
        ),
        Effect(
            "parent_child_day_per_day",
            0.0,
            "probability of a parent-child day per day offered a year (P = value x days, <= .9)",
            "family_parent_child_day",
            "parent_child_days_per_year",
            (0.0, 1.0),
        ),
        Effect(
            "contact_beta.probation.facilitation",
            0.0,
            "log-odds of probation contact per point of institutional facilitation (1-5 scale)",
            "probation_facilitation",
            "facilitation",
        ),
        Effect(
            "prep_family_contact_social_network",
            0.0,
            "points of social-network preparedness (1-5) with family visits in the last month",
            "social_network_preparedness",
            "family_contact",
        ),
        Effect(
            "prep_beta.instr_ext_c",
            0.0,
            "points of preparedness (1-5) per point of satisfaction with external instrumental "
            "support (1-5), prisoners without that need",
            "social_network_preparedness",
            "instr_ext_social_network_c",
        ),
    )
}
