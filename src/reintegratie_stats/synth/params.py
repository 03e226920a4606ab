"""True parameters of the synthetic twin's data-generating process (DGP).

Every number the generator uses lives in :class:`SynthParams`; ``generate()`` copies all of
them into ``SynthData.truth``. The equations are in ``docs/synthetic_twin.md``.

Coefficients are keyed by professional type / domain / term name. The term names of the
contact model are the columns of :func:`reintegratie_stats.synth.contact_design`; those of the
preparedness model the columns of :func:`reintegratie_stats.synth.preparedness_design`.

Change a parameter with :func:`dataclasses.replace`::

    >>> from dataclasses import replace
    >>> from reintegratie_stats.synth import SynthParams
    >>> p = replace(SynthParams(), female_share=0.10)
    >>> p.female_share
    0.1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CONTACT_TERMS", "SynthParams"]

#: Terms of the contact linear predictor, in design-matrix order (see ``contact_design``).
CONTACT_TERMS: tuple[str, ...] = (
    "Intercept",
    "first_6_weeks",
    "short_stay",
    "last_3_months",
    "regime_GBM",
    "regime_BBA",
    "regime_EZV",
    "regime_ISD",
    "regime_PPC",
    "need_work_income",
    "need_housing",
    "need_finances",
    "need_health",
    "need_id",
    "need_social_network",
    "facilitation",
    "travel_time_min",
)


def _contact_beta() -> dict[str, dict[str, float]]:
    # Intercepts are on the raw scale of the covariates (facilitation ~4, travel time ~45 min).
    # With contact_calibrate=True (default) they are only starting values: every draw solves
    # them for contact_target_rate (see generate._solve_intercept).
    common_phase = {"first_6_weeks": -1.1, "short_stay": -0.5, "last_3_months": -0.3}
    zero = dict.fromkeys(CONTACT_TERMS, 0.0)
    beta = {
        "casemanager": {
            **zero,
            **common_phase,
            "Intercept": 0.75,
            "regime_GBM": 0.2,
            "regime_BBA": 0.1,
            "regime_EZV": 0.2,
            "regime_ISD": 0.3,
            "regime_PPC": 0.2,
            "need_work_income": -0.3,
            "need_housing": -0.3,
            "need_finances": -0.3,
            "need_health": -0.9,
            "need_id": -0.9,
            "need_social_network": -0.1,
        },
        "mentor": {
            **zero,
            **common_phase,
            "Intercept": 0.73,
            "first_6_weeks": -0.95,
            "regime_GBM": 0.2,
            "regime_BBA": 0.0,
            "regime_EZV": 0.3,
            "regime_ISD": 0.2,
            "regime_PPC": 0.3,
            "need_work_income": -0.3,
            "need_housing": -0.3,
            "need_finances": -0.3,
            "need_health": -0.9,
            "need_id": -0.9,
            "need_social_network": -0.1,
        },
        "probation": {
            **zero,
            **common_phase,
            "Intercept": -2.665,
            "first_6_weeks": -1.0,
            "regime_GBM": 0.1,
            "regime_BBA": 0.3,
            "regime_EZV": 0.7,
            "regime_ISD": 0.7,
            "regime_PPC": 0.2,
            "need_work_income": 0.4,
            "need_health": -0.1,
            "need_id": -0.1,
            "facilitation": 0.8,
            "travel_time_min": -0.01,
        },
        "municipality": {
            **zero,
            **common_phase,
            "Intercept": -1.82,
            "first_6_weeks": -1.0,
            "last_3_months": 0.6,
            "regime_BBA": 0.3,
            "regime_EZV": 0.6,
            "regime_ISD": 0.85,
            "regime_PPC": 0.1,
            "need_housing": 0.6,
            "need_id": 0.45,
            "need_health": -0.1,
        },
        "care": {
            **zero,
            **common_phase,
            "Intercept": -1.74,
            "first_6_weeks": -1.05,
            "regime_BBA": -0.2,
            "regime_EZV": 1.0,
            "regime_ISD": 0.6,
            "regime_PPC": 0.8,
            "need_health": 0.8,
            "need_id": -0.1,
        },
        "volunteer": {
            **zero,
            **common_phase,
            "Intercept": -1.61,
            "first_6_weeks": -1.05,
            "regime_GBM": 0.1,
            "regime_EZV": 0.6,
            "regime_ISD": 0.7,
            "regime_PPC": 0.2,
            "need_finances": 0.6,
            "need_health": -0.1,
            "need_id": -0.1,
        },
    }
    return beta


def _prep_beta() -> dict[str, float]:
    # Generic coefficients of the preparedness mean (1-5 scale), shared by the domains;
    # the domain-specific term names are built in ``preparedness_design``.
    return {
        "Intercept": 3.3,
        "need": -0.45,
        "sat_int_c": 0.10,
        "sat_ext_c": 0.10,
        "instr_int_c": 0.06,
        "instr_ext_c": 0.12,
        "need:instr_int_c": 0.10,
        "need:instr_ext_c": 0.22,
        "family_contact": 0.0,
    }


@dataclass(frozen=True)
class SynthParams:
    """Every true parameter of the synthetic twin (defaults: the 2019 DPVS wave).

    Mapping-valued fields are plain dicts; treat them as read-only and use
    :func:`dataclasses.replace` with a new dict to change them. ``to_dict()`` gives the
    JSON-serialisable form recorded in ``truth["params"]``.
    """

    # --- registration -------------------------------------------------------------------
    #: share of prisoners per regime (SPEC section 2: realistic proportions)
    regime_shares: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 0.35,
            "GBM": 0.35,
            "BBA": 0.10,
            "EZV": 0.08,
            "ISD": 0.05,
            "PPC": 0.07,
        }
    )
    #: probability that an institution holds each regime (at least one always does)
    regime_availability: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 0.8,
            "GBM": 0.8,
            "BBA": 0.5,
            "EZV": 0.25,
            "ISD": 0.2,
            "PPC": 0.15,
        }
    )
    #: log-normal SD of institution sizes
    institution_size_sdlog: float = 0.4
    female_share: float = 0.06
    #: age = 18 + Gamma(shape, scale), cut at 80 (mean about 35)
    age_gamma_shape: float = 2.0
    age_gamma_scale: float = 8.5
    age_max: int = 80
    #: weeks_detained ~ log-normal(median, sdlog) per regime (stock sample: time since admission)
    weeks_detained_median: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 5.5,
            "GBM": 12.0,
            "BBA": 14.0,
            "EZV": 16.0,
            "ISD": 30.0,
            "PPC": 14.0,
        }
    )
    weeks_detained_sdlog: float = 0.85
    #: share of prisoners with an unknown release date (weeks_to_release missing) per regime
    release_unknown: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 0.85,
            "GBM": 0.05,
            "BBA": 0.02,
            "EZV": 0.10,
            "ISD": 0.02,
            "PPC": 0.25,
        }
    )
    #: weeks_to_release ~ log-normal(median, sdlog) per regime where known
    weeks_to_release_median: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 8.0,
            "GBM": 12.0,
            "BBA": 6.0,
            "EZV": 16.0,
            "ISD": 40.0,
            "PPC": 20.0,
        }
    )
    weeks_to_release_sdlog: float = 1.0
    #: prior_convictions ~ NegBin(mean, dispersion) per regime
    prior_convictions_mean: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 4.0,
            "GBM": 6.0,
            "BBA": 5.0,
            "EZV": 6.0,
            "ISD": 35.0,
            "PPC": 7.0,
        }
    )
    prior_convictions_dispersion: float = 1.2

    # --- needs (Gaussian copula: one common factor) ---------------------------------------
    need_rates: Mapping[str, float] = field(
        default_factory=lambda: {
            "work_income": 0.40,
            "housing": 0.30,
            "finances": 0.40,
            "health": 0.35,
            "id": 0.22,
            "social_network": 0.25,
        }
    )
    #: loading of every need on the common vulnerability factor (latent correlation = loading^2)
    need_factor_loading: float = 0.6
    #: shift of the vulnerability factor for EZV/ISD/PPC (on the latent normal scale)
    need_regime_shift: Mapping[str, float] = field(
        default_factory=lambda: {
            "HvB": 0.0,
            "GBM": 0.0,
            "BBA": -0.1,
            "EZV": 0.5,
            "ISD": 0.6,
            "PPC": 0.4,
        }
    )

    # --- contact (logit; see docs/synthetic_twin.md section 3) ----------------------------
    contact_beta: Mapping[str, Mapping[str, float]] = field(default_factory=_contact_beta)
    #: marginal contact rate per type that the intercepts are solved for in every draw
    #: (``contact_calibrate=True``): the mean over the drawn prisoners of the true contact
    #: probability (integrated over eta) equals this rate, so the published figures hold
    #: whatever the realised institution intercepts. With ``False`` the intercepts in
    #: ``contact_beta`` are used as they are.
    contact_target_rate: Mapping[str, float] = field(
        default_factory=lambda: {
            "casemanager": 0.45,
            "mentor": 0.45,
            "probation": 0.44,
            "municipality": 0.20,
            "care": 0.20,
            "volunteer": 0.20,
        }
    )
    contact_calibrate: bool = True
    #: SD of the institution random intercept per type
    contact_sigma_institution: Mapping[str, float] = field(
        default_factory=lambda: {
            "casemanager": 0.40,
            "mentor": 0.40,
            "probation": 0.30,
            "municipality": 0.35,
            "care": 0.35,
            "volunteer": 0.45,
        }
    )
    #: correlation of the institution intercepts between any two types (exchangeable)
    contact_institution_corr: float = 0.3
    #: loading of each type on the individual co-occurrence factor eta (0 for probation,
    #: so that probation follows a random-intercept logistic model exactly)
    contact_eta_loading: Mapping[str, float] = field(
        default_factory=lambda: {
            "casemanager": 1.6,
            "mentor": 1.6,
            "probation": 0.0,
            "municipality": 0.9,
            "care": 0.9,
            "volunteer": 0.9,
        }
    )
    #: correlation of eta with the normal score of probation's logistic error
    contact_eta_probation_corr: float = 0.45

    # --- institutions and professionals ---------------------------------------------------
    travel_time_min_mean: float = 45.0
    travel_time_min_sd: float = 20.0
    #: true facilitation scores: mean and between-institution SD per score
    score_mean: Mapping[str, float] = field(
        default_factory=lambda: {
            "rating_reception": 4.2,
            "rating_communication": 3.9,
            "rating_information": 3.8,
            "rating_facilities": 3.8,
        }
    )
    score_sd: float = 0.25
    #: share of institutions that score lower on information exchange and work facilities
    low_score_share: float = 0.15
    low_score_shift: float = -0.9
    #: true accessibility = intercept + slope * travel_time_min
    accessibility_intercept: float = 4.9
    accessibility_slope: float = -0.02
    #: rater noise: a rater effect shared by the rater's five ratings + item noise
    rater_sd: float = 0.35
    rating_noise_sd: float = 0.55
    org_type_shares: Mapping[str, float] = field(
        default_factory=lambda: {
            "probation": 0.30,
            "municipality": 0.25,
            "care": 0.20,
            "volunteer": 0.15,
            "other": 0.10,
        }
    )
    visits_past_year_mean: float = 18.0
    visits_past_year_dispersion: float = 1.5

    # --- satisfaction (latent normal, cut at 1.5, 2.5, 3.5, 4.5) -------------------------
    sat_mean: Mapping[str, float] = field(
        default_factory=lambda: {
            "casemanager": 3.85,
            "mentor": 3.95,
            "probation": 3.05,
            "municipality": 2.95,
            "care": 3.95,
            "volunteer": 4.1,
        }
    )
    #: SD of the person's general satisfaction tendency (shared over types and items)
    sat_person_sd: float = 0.45
    #: SD of the person x type evaluation (shared by the four items of one type)
    sat_type_sd: float = 0.6
    #: SD of item noise around the type evaluation
    sat_item_sd: float = 0.45
    #: item offsets relative to the general item
    sat_item_offset: Mapping[str, float] = field(
        default_factory=lambda: {
            "sat": 0.0,
            "sat_freq": -0.25,
            "sat_pleasant": 0.1,
            "sat_useful": -0.1,
        }
    )

    # --- instrumental support ------------------------------------------------------------
    #: P(support for a domain | contact with that side), logit: base + need effect
    instr_int_logit: Mapping[str, float] = field(
        default_factory=lambda: {"Intercept": -1.2, "need": 1.3}
    )
    instr_ext_logit: Mapping[str, float] = field(
        default_factory=lambda: {"Intercept": -1.6, "need": 1.2, "matched_contact": 1.0}
    )
    instr_int_mean: float = 3.5
    instr_ext_mean: float = 3.6
    instr_sd: float = 0.9

    # --- preparedness (exact linear mean on the 1-5 scale, probit-normal factor) ----------
    prep_beta: Mapping[str, float] = field(default_factory=_prep_beta)
    #: domain-specific intercept shifts and the social-network family-contact effect
    prep_domain_shift: Mapping[str, float] = field(
        default_factory=lambda: {
            "work_income": -0.2,
            "housing": -0.1,
            "finances": -0.15,
            "health": 0.2,
            "id": 0.3,
            "social_network": 0.1,
        }
    )
    prep_family_contact_social_network: float = 0.35
    #: latent correlation of the person-level preparedness factor shared by the six items
    #: (probit-normal success probability; 0 = items independent given X)
    prep_factor_rho: float = 0.25

    # --- family (SPEC section 4) ---------------------------------------------------------
    has_children_rate: float = 0.45
    has_partner_rate: float = 0.45
    lived_with_children_rate: float = 0.45
    duty_of_care_rate: float = 0.35
    kind_check_rate: float = 0.75
    child_protection_rate: float = 0.15
    children_live_with_shares: Mapping[str, float] = field(
        default_factory=lambda: {
            "other_parent": 0.70,
            "family": 0.12,
            "foster_care": 0.08,
            "other": 0.10,
        }
    )
    #: institution facilities: P(has facility) and parent-child days per year
    facility_rates: Mapping[str, float] = field(
        default_factory=lambda: {
            "has_family_room": 0.6,
            "has_child_friendly_visiting": 0.7,
            "has_father_wing": 0.15,
            "video_calling": 0.85,
            "has_family_officer": 0.6,
        }
    )
    parent_child_days_choices: tuple[int, ...] = (0, 3, 4, 6, 8, 12)
    #: SD of the individual family-tie factor (log scale of visit rates)
    family_tie_sd: float = 0.6
    #: mean counts before facility effects
    visits_partner_mean: float = 2.2
    visits_children_mean: float = 1.2
    visits_family_mean: float = 1.0
    visits_friends_mean: float = 0.6
    phone_calls_week_mean: float = 3.0
    video_calls_month_mean: float = 1.5
    letters_month_mean: float = 1.5
    #: multiplicative effect of a child-friendly visiting area on child visits
    child_friendly_visit_ratio: float = 1.5
    #: multiplicative effect of a family room on child visits (1 = none, the 2019 default;
    #: varied by power studies: the family-room effect a next wave could detect)
    family_room_visit_ratio: float = 1.0
    #: P(parent-child day) per parent-child day a year offered (capped at 0.9)
    parent_child_day_per_day: float = 0.06
    family_room_visit_rate: float = 0.25
    unsupervised_visit_rate: float = 0.06
    #: family approach: P(shell 3 | father, institution has a father wing); otherwise
    #: P(shell 2) and P(shell 1) for fathers (mothers and non-parents: 0)
    shell_rates: Mapping[str, float] = field(
        default_factory=lambda: {"shell1": 0.20, "shell2": 0.10, "shell3": 0.35}
    )
    dr_plan_family_goal_rate: Mapping[str, float] = field(
        default_factory=lambda: {"with_children": 0.30, "without_children": 0.04}
    )
    leave_family_reason_rate: float = 0.05
    sat_family_mean: float = 3.3
    sat_family_contact_effect: float = 0.5

    #: survey weight (1 for everyone: the twin is a simple random sample per institution)
    weight: float = 1.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field when a parameter cannot be used.

        Keys must be the codebook's regimes / professional types / domains and terms;
        probabilities must lie in [0, 1].
        """
        from ..schema import load_codebook

        cb = load_codebook()
        keyed = {
            "regime_shares": cb.regimes,
            "regime_availability": cb.regimes,
            "weeks_detained_median": cb.regimes,
            "release_unknown": cb.regimes,
            "weeks_to_release_median": cb.regimes,
            "prior_convictions_mean": cb.regimes,
            "need_regime_shift": cb.regimes,
            "need_rates": cb.domains,
            "prep_domain_shift": cb.domains,
            "contact_beta": cb.professional_types,
            "contact_target_rate": cb.professional_types,
            "contact_sigma_institution": cb.professional_types,
            "contact_eta_loading": cb.professional_types,
            "sat_mean": cb.professional_types,
            "score_mean": tuple(k for k in cb.facilitation_scores if k != "rating_accessibility"),
        }
        for name, keys in keyed.items():
            got = set(getattr(self, name))
            if got != set(keys):
                raise ValueError(
                    f"SynthParams.{name} must have the keys {sorted(keys)}; "
                    f"missing {sorted(set(keys) - got)}, unknown {sorted(got - set(keys))}"
                )
        for t, beta in self.contact_beta.items():
            if set(beta) != set(CONTACT_TERMS):
                raise ValueError(
                    f"SynthParams.contact_beta[{t!r}] must have the terms {list(CONTACT_TERMS)}"
                )
        if self.contact_eta_loading["probation"] != 0.0:
            raise ValueError(
                "SynthParams.contact_eta_loading['probation'] must be 0: probation follows a "
                "random-intercept logistic model exactly"
            )
        probs = {
            "regime_shares": self.regime_shares,
            "regime_availability": self.regime_availability,
            "release_unknown": self.release_unknown,
            "need_rates": self.need_rates,
            "contact_target_rate": self.contact_target_rate,
            "org_type_shares": self.org_type_shares,
            "facility_rates": self.facility_rates,
            "children_live_with_shares": self.children_live_with_shares,
            "shell_rates": self.shell_rates,
        }
        for name, mapping in probs.items():
            for k, v in mapping.items():
                if not 0.0 <= float(v) <= 1.0:
                    raise ValueError(f"SynthParams.{name}[{k!r}] = {v} is not a probability")
        for name in ("need_rates", "contact_target_rate"):
            for k, v in getattr(self, name).items():
                if not 0.0 < float(v) < 1.0:
                    raise ValueError(f"SynthParams.{name}[{k!r}] must be strictly between 0 and 1")
        for name in ("female_share", "has_children_rate", "has_partner_rate", "kind_check_rate"):
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                raise ValueError(f"SynthParams.{name} = {getattr(self, name)} is not a probability")
        if (
            not -1.0 < self.contact_institution_corr < 1.0
            or not -1.0 < self.contact_eta_probation_corr < 1.0
        ):
            raise ValueError("SynthParams: correlations must lie strictly between -1 and 1")
        if not 0.0 <= self.need_factor_loading < 1.0:
            raise ValueError("SynthParams.need_factor_loading must lie in [0, 1)")
        if not 0.0 <= self.prep_factor_rho < 1.0:
            raise ValueError(
                f"SynthParams.prep_factor_rho = {self.prep_factor_rho} must lie in [0, 1)"
            )
        if any(v < 0 for v in self.contact_sigma_institution.values()):
            raise ValueError("SynthParams.contact_sigma_institution must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy of every parameter."""
        return jsonable(asdict(self))


def jsonable(obj: Any) -> Any:
    """``obj`` with mapping keys as strings and tuples as lists, ready for ``json.dumps``."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return obj.item()
    return obj
