"""The synthetic twin's generator: DPVS/PCQ-shaped tables from a known DGP.

The data-generating process, with its equations, is documented in ``docs/synthetic_twin.md``;
every parameter is a field of :class:`~reintegratie_stats.synth.params.SynthParams` and is
copied, with the realised institution-level values and the implied rates, into
``SynthData.truth``.

Each block of variables draws from its own random stream, derived from the seed and the
block's name (``SeedSequence(seed, spawn_key=(crc32(name),))``), so adding a block or a
variable to one block never shifts the others. Everything is vectorised over prisoners.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtr, ndtri

from .. import derived_variables as derive
from ..schema import Codebook, load_codebook
from .design import contact_design, institution_covariates, preparedness_design, preparedness_terms
from .missing import MissingSpec, apply_missing
from .params import CONTACT_TERMS, SynthParams, jsonable

__all__ = ["SynthData", "draw_family", "generate", "GENERATOR_VERSION"]

#: Bumped whenever the same seed would give different data (2: correlated prep items).
GENERATOR_VERSION = "2"

_INSTITUTION_NAMES = (
    "PI Almelo",
    "PI Alphen aan den Rijn",
    "PI Arnhem",
    "PI Dordrecht",
    "PI Grave",
    "PI Haaglanden",
    "PI Heerhugowaard",
    "PI Krimpen aan den IJssel",
    "PI Leeuwarden",
    "PI Lelystad",
    "PI Middelburg",
    "PI Nieuwegein",
    "PI Rotterdam",
    "PI Sittard",
    "PI Vught",
    "PI Zwolle",
    "PI Ter Apel",
    "PI Veenhuizen",
    "PI Roermond",
    "PI Schiedam",
    "PI Zutphen",
    "PI Almere",
    "JC Zaanstad",
    "PI Den Haag",
    "PI Breda",
    "PI Utrecht",
)
_CUTS = np.array([1.5, 2.5, 3.5, 4.5])
#: c^2 of the logistic-normal approximation E[expit(x + s Z)] ~ expit(x / sqrt(1 + c^2 s^2)),
#: c = 16 sqrt(3) / (15 pi) (Zeger, Liang and Albert 1988)
_PROBIT_C2 = (16.0 * np.sqrt(3.0) / (15.0 * np.pi)) ** 2
#: prisoners used to solve the contact intercepts (all of them in samples up to this size)
_CALIBRATION_N = 20_000


@dataclass(frozen=True)
class SynthData:
    """One draw of the synthetic twin.

    Attributes
    ----------
    institutions, prisoners, professionals : DataFrame
        Canonical tables (codebook names and order; numeric float64 with NaN for missing;
        ids and categories as strings).
    truth : dict
        JSON-serialisable record of every true parameter (see ``docs/synthetic_twin.md``).
    """

    institutions: pd.DataFrame
    prisoners: pd.DataFrame
    professionals: pd.DataFrame
    truth: dict[str, Any]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The three tables by codebook table name."""
        return {
            "institutions": self.institutions,
            "prisoners": self.prisoners,
            "professionals": self.professionals,
        }


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),))
    )


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + zero-padded 1..n, built as ASCII bytes without a loop over rows."""
    width = max(width, len(str(n)))
    num = np.arange(1, n + 1, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (num[:, None] // powers) % 10 + ord("0")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars = np.hstack([np.broadcast_to(head, (n, head.size)), digits.astype(np.uint8)])
    fixed = np.ascontiguousarray(chars).view(f"S{head.size + width}").ravel()
    return fixed.astype(f"U{head.size + width}").astype(object)


def _likert(latent: np.ndarray) -> np.ndarray:
    """Cut a latent normal at 1.5, 2.5, 3.5, 4.5 into 1-5 (NaN stays NaN)."""
    return np.clip(np.floor(latent + 0.5), 1.0, 5.0)


def _likert_probs(mean: float, sd: float) -> np.ndarray:
    cdf = ndtr((_CUTS - mean) / sd)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def _negbin(rng: np.random.Generator, mean: np.ndarray, dispersion: float) -> np.ndarray:
    p = dispersion / (dispersion + mean)
    return rng.negative_binomial(dispersion, p).astype(float)


def _stratified_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Latin-hypercube standard-normal draws in random order.

    Used for institution covariates (travel time, true scores): the models condition on
    them, so their sampling scheme is free, and stratifying keeps the published marginals
    stable from seed to seed. The random intercepts stay i.i.d. normal.
    """
    return ndtri((rng.permutation(n) + rng.random(n)) / n)


# --------------------------------------------------------------------------------------------
# institutions and professionals
# --------------------------------------------------------------------------------------------
def _institutions(
    seed: int, J: int, p: SynthParams, cb: Codebook
) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = _rng(seed, "institutions")
    regimes = cb.regimes
    ids = _ids("PI", J, 2)
    names = np.array(
        [
            _INSTITUTION_NAMES[j] if j < len(_INSTITUTION_NAMES) else f"PI Inrichting {j + 1}"
            for j in range(J)
        ],
        dtype=object,
    )
    size = rng.lognormal(0.0, p.institution_size_sdlog, J)
    avail = rng.random((J, len(regimes))) < np.array([p.regime_availability[r] for r in regimes])
    for k in range(len(regimes)):  # every regime exists somewhere
        if not avail[:, k].any():
            avail[rng.integers(J), k] = True
    empty = ~avail.any(axis=1)
    avail[empty, rng.integers(0, 2, empty.sum())] = True  # HvB or GBM
    travel = np.clip(
        np.round(p.travel_time_min_mean + p.travel_time_min_sd * _stratified_normal(rng, J)), 5, 180
    )
    fac = {k: (rng.random(J) < rate).astype(float) for k, rate in p.facility_rates.items()}
    days = rng.choice(np.array(p.parent_child_days_choices, dtype=float), J)
    days[names == "JC Zaanstad"] = 3.0  # SPEC section 4: JC Zaanstad 3 a year
    scores = {k: m + p.score_sd * _stratified_normal(rng, J) for k, m in p.score_mean.items()}
    n_low = int(round(p.low_score_share * J))
    low = np.zeros(J, dtype=bool)
    if n_low:
        low[rng.choice(J, n_low, replace=False)] = True
    for k in ("rating_information", "rating_facilities"):
        scores[k] = scores[k] + p.low_score_shift * low
    scores["rating_accessibility"] = p.accessibility_intercept + p.accessibility_slope * travel
    scores = {k: np.clip(v, 1.0, 5.0) for k, v in scores.items()}
    df = pd.DataFrame(
        {
            "institution_id": ids,
            "name": names,
            "travel_time_min": travel,
            "has_family_room": fac["has_family_room"],
            "has_child_friendly_visiting": fac["has_child_friendly_visiting"],
            "has_father_wing": fac["has_father_wing"],
            "video_calling": fac["video_calling"],
            "parent_child_days_per_year": days,
            "has_family_officer": fac["has_family_officer"],
        }
    )
    internal = {
        "size": size,
        "avail": avail,
        "scores": scores,
        "low": low,
    }
    return df, internal


def _professionals(
    seed: int, P: int, inst: pd.DataFrame, iv: dict[str, Any], p: SynthParams, cb: Codebook
) -> pd.DataFrame:
    rng = _rng(seed, "professionals")
    J = len(inst)
    w = np.sqrt(iv["size"])
    where = np.concatenate([np.arange(J), rng.choice(J, P - J, p=w / w.sum())])
    where = np.sort(where, kind="stable")
    orgs = np.array(list(p.org_type_shares), dtype=object)
    org = rng.choice(orgs, P, p=np.array(list(p.org_type_shares.values())))
    visits = np.minimum(
        _negbin(rng, np.full(P, p.visits_past_year_mean), p.visits_past_year_dispersion), 500
    )
    rater = rng.normal(0.0, p.rater_sd, P)
    cols = {
        "professional_id": _ids("E", P, 4),
        "institution_id": inst["institution_id"].to_numpy()[where],
        "org_type": org,
        "visits_past_year": visits,
    }
    for k in cb.facilitation_scores:
        latent = iv["scores"][k][where] + rater + rng.normal(0.0, p.rating_noise_sd, P)
        cols[k] = np.clip(np.floor(latent + 0.5), 1.0, 5.0)
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------------------------
# prisoners
# --------------------------------------------------------------------------------------------
def _registration(
    seed: int, N: int, inst: pd.DataFrame, iv: dict[str, Any], p: SynthParams, cb: Codebook
) -> dict[str, np.ndarray]:
    rng = _rng(seed, "registration")
    regimes = np.array(cb.regimes, dtype=object)
    R = len(regimes)
    shares = np.array([p.regime_shares[r] for r in regimes])
    reg = rng.choice(R, N, p=shares / shares.sum())
    J = len(inst)
    where = np.empty(N, dtype=np.int64)
    for k in range(R):  # P(institution | regime) proportional to size x holds-the-regime
        idx = np.flatnonzero(reg == k)
        w = iv["size"] * iv["avail"][:, k]
        where[idx] = rng.choice(J, idx.size, p=w / w.sum())
    order = np.lexsort((reg, where))  # group the table by institution, then regime
    reg, where = reg[order], where[order]
    female = rng.random(N) < p.female_share
    age = np.minimum(np.floor(18 + rng.gamma(p.age_gamma_shape, p.age_gamma_scale, N)), p.age_max)
    med_wd = np.array([p.weeks_detained_median[r] for r in regimes])[reg]
    wd = np.round(np.minimum(rng.lognormal(np.log(med_wd), p.weeks_detained_sdlog), 1500), 1)
    med_wr = np.array([p.weeks_to_release_median[r] for r in regimes])[reg]
    wr = np.round(np.minimum(rng.lognormal(np.log(med_wr), p.weeks_to_release_sdlog), 1500), 1)
    unknown = rng.random(N) < np.array([p.release_unknown[r] for r in regimes])[reg]
    wr[unknown] = np.nan
    mean_pc = np.array([p.prior_convictions_mean[r] for r in regimes])[reg]
    pc = np.minimum(_negbin(rng, mean_pc, p.prior_convictions_dispersion), 200)
    return {
        "reg": reg,
        "where": where,
        "regime": regimes[reg],
        "institution_id": inst["institution_id"].to_numpy()[where],
        "sex": np.where(female, "female", "male").astype(object),
        "female": female,
        "age": age,
        "weeks_detained": wd,
        "weeks_to_release": wr,
        "prior_convictions": pc,
    }


def _needs(
    seed: int, reg: np.ndarray, p: SynthParams, cb: Codebook
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rng = _rng(seed, "needs")
    N = reg.size
    L = p.need_factor_loading
    shift = np.array([p.need_regime_shift[r] for r in cb.regimes])[reg]
    vuln = rng.standard_normal(N) + shift
    out, truth = {}, {}
    for d in cb.domains:
        thr = float(ndtri(1.0 - p.need_rates[d]))
        latent = L * vuln + np.sqrt(1.0 - L * L) * rng.standard_normal(N)
        out[f"need_{d}"] = (latent > thr).astype(float)
        # latent | regime ~ N(L * shift, 1)
        truth[d] = {"threshold": thr, "implied_rate": float(np.mean(ndtr(L * shift - thr)))}
    return out, {"factor_loading": L, "regime_shift": dict(p.need_regime_shift), "domains": truth}


def _gh(k: int = 12) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(k)
    return x, w / w.sum()


def _contact(
    seed: int, X: pd.DataFrame, where: np.ndarray, J: int, p: SynthParams, cb: Codebook
) -> tuple[dict[str, np.ndarray], dict[str, Any], np.ndarray]:
    rng = _rng(seed, "contact")
    types = cb.professional_types
    T = len(types)
    N = len(X)
    Xv = X.to_numpy()
    sd = np.array([p.contact_sigma_institution[t] for t in types])
    corr = np.full((T, T), p.contact_institution_corr)
    np.fill_diagonal(corr, 1.0)
    cov = corr * np.outer(sd, sd)
    u = rng.multivariate_normal(np.zeros(T), cov, size=J, method="cholesky")
    a = p.contact_eta_probation_corr
    w = rng.standard_normal(N)
    eta = a * w + np.sqrt(1.0 - a * a) * rng.standard_normal(N)
    uni = rng.random((T, N))
    lam = np.array([p.contact_eta_loading[t] for t in types])
    iprob = types.index("probation")
    nodes, weights = _gh()
    out: dict[str, np.ndarray] = {}
    lps: dict[str, np.ndarray] = {}
    implied: dict[str, float] = {}
    sub = (
        np.arange(N)
        if N <= _CALIBRATION_N
        else np.sort(rng.choice(N, _CALIBRATION_N, replace=False))
    )
    betas: dict[str, dict[str, float]] = {}
    for k, t in enumerate(types):
        betas[t] = {term: float(p.contact_beta[t][term]) for term in CONTACT_TERMS}
        beta = np.array(list(betas[t].values()))
        lp = Xv @ beta + u[where, k]
        if p.contact_calibrate:
            shift = _solve_intercept(lp[sub], lam[k], p.contact_target_rate[t], nodes, weights)
            lp += shift
            betas[t]["Intercept"] += shift
        lps[t] = lp
        if k == iprob:
            # latent-utility form of the logistic draw; its normal score w also drives eta
            out[t] = (lp + logit(ndtr(w)) > 0).astype(float)
        else:
            out[t] = (uni[k] < expit(lp + lam[k] * eta)).astype(float)
    implied = _implied_rates(lps, lam, a, types, cb.internal_types, nodes, weights)
    truth: dict[str, Any] = {
        "design": "reintegratie_stats.synth.contact_design(prisoners, institutions, professionals)",
        "terms": list(CONTACT_TERMS),
        "institution_corr": corr.tolist(),
        "eta_probation_corr": a,
        "implied_rate": implied,
    }
    for k, t in enumerate(types):
        scale = float(1.0 / np.sqrt(1.0 + _PROBIT_C2 * lam[k] ** 2))
        truth[t] = {
            "model": (
                "exact: logit P(contact=1 | x, u_j) = x'beta + u_j, u_j ~ N(0, sigma_institution^2)"
                if lam[k] == 0.0
                else "conditional on eta ~ N(0, 1): logit P = x'beta + u_j + eta_loading * eta; "
                "over eta approximately logit P = scale * (x'beta + u_j)"
            ),
            "beta": betas[t],
            "intercept_calibrated": bool(p.contact_calibrate),
            "target_rate": float(p.contact_target_rate[t]),
            "sigma_institution": float(sd[k]),
            "realised_sd_institution": float(np.std(u[:, k], ddof=1)) if J > 1 else 0.0,
            "eta_loading": float(lam[k]),
            "marginal_scale_approx": scale,
            "beta_marginal_approx": {term: scale * v for term, v in betas[t].items()},
            "sigma_institution_marginal_approx": scale * float(sd[k]),
            "implied_rate": implied[t],
        }
    return out, truth, u


def _solve_intercept(
    lp: np.ndarray, lam: float, target: float, nodes: np.ndarray, weights: np.ndarray
) -> float:
    """Shift c with mean_i E_eta[expit(lp_i + c + lam * eta)] = target (Newton)."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"contact_target_rate must be in (0, 1), got {target}")
    grid = nodes if lam != 0.0 else np.zeros(1)
    w = weights if lam != 0.0 else np.ones(1)
    c = 0.0
    for _ in range(50):
        pr = expit(lp[:, None] + c + lam * grid)
        f = float(np.mean(pr @ w)) - target
        g = float(np.mean((pr * (1.0 - pr)) @ w))
        step = f / max(g, 1e-12)
        c -= float(np.clip(step, -2.0, 2.0))
        if abs(step) < 1e-10:
            break
    return c


def _implied_rates(
    lps: dict[str, np.ndarray],
    lam: np.ndarray,
    a: float,
    types: tuple[str, ...],
    internal: tuple[str, ...],
    nodes: np.ndarray,
    weights: np.ndarray,
    chunk: int = 100_000,
) -> dict[str, float]:
    """Mean over prisoners of the true P(contact) per type, P(any internal), P(none).

    Conditional on the covariates and the realised institution intercepts, integrated over
    eta by Gauss-Hermite quadrature; probation = 0 given eta has probability
    Phi((Phi^-1(expit(-lp)) - a * eta) / sqrt(1 - a^2)).
    """
    n = next(iter(lps.values())).size
    sums = dict.fromkeys([*types, "internal_any", "none"], 0.0)
    sqa = np.sqrt(1.0 - a * a)
    nodes32 = nodes.astype(np.float32)
    for start in range(0, n, chunk):
        s = slice(start, min(n, start + chunk))
        no_int = np.ones((s.stop - s.start, nodes.size))
        none = np.ones_like(no_int)
        for k, t in enumerate(types):
            if t == "probation":
                lp = lps[t][s]
                sums[t] += float(expit(lp).sum())
                none *= ndtr((ndtri(expit(-lp))[:, None] - a * nodes) / sqa)
                continue
            # float32 halves the cost; the quadrature error (~1e-5) dominates anyway
            q = expit(lps[t][s, None].astype(np.float32) + np.float32(lam[k]) * nodes32)
            sums[t] += float((q @ weights).sum(dtype=np.float64))
            np.subtract(1.0, q, out=q)
            none *= q
            if t in internal:
                no_int *= q
        sums["internal_any"] += float((1.0 - no_int @ weights).sum())
        sums["none"] += float((none @ weights).sum())
    return {k: v / n for k, v in sums.items()}


def _satisfaction(
    seed: int, contact: dict[str, np.ndarray], p: SynthParams, cb: Codebook
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    rng = _rng(seed, "satisfaction")
    N = next(iter(contact.values())).size
    person = rng.normal(0.0, p.sat_person_sd, N)
    out: dict[str, np.ndarray] = {}
    truth: dict[str, Any] = {}
    total_sd = float(np.sqrt(p.sat_person_sd**2 + p.sat_type_sd**2 + p.sat_item_sd**2))
    for t in cb.professional_types:
        has = contact[t] == 1
        evaluation = p.sat_mean[t] + person + rng.normal(0.0, p.sat_type_sd, N)
        truth[t] = {}
        for item in cb.satisfaction_items:
            mu = p.sat_mean[t] + p.sat_item_offset[item]
            latent = evaluation + p.sat_item_offset[item] + rng.normal(0.0, p.sat_item_sd, N)
            out[f"{item}_{t}"] = np.where(has, _likert(latent), np.nan)
            probs = _likert_probs(mu, total_sd)
            truth[t][item] = {"latent_mean": mu, "implied_mean": float(probs @ np.arange(1, 6))}
    return out, person, {"latent_sd": total_sd, "cuts": _CUTS.tolist(), "items": truth}


def _instrumental(
    seed: int,
    contact: dict[str, np.ndarray],
    needs: dict[str, np.ndarray],
    person: np.ndarray,
    p: SynthParams,
    cb: Codebook,
) -> dict[str, np.ndarray]:
    rng = _rng(seed, "instrumental")
    N = person.size
    any_int = np.any([contact[t] == 1 for t in cb.internal_types], axis=0)
    any_ext = np.any([contact[t] == 1 for t in cb.external_types], axis=0)
    out: dict[str, np.ndarray] = {}
    for d in cb.domains:
        need = needs[f"need_{d}"]
        matched = np.zeros(N, dtype=bool)
        for t in cb.external_types:
            if d in cb.matched_needs(t):
                matched |= contact[t] == 1
        pi = expit(p.instr_int_logit["Intercept"] + p.instr_int_logit["need"] * need)
        pe = expit(
            p.instr_ext_logit["Intercept"]
            + p.instr_ext_logit["need"] * need
            + p.instr_ext_logit["matched_contact"] * matched
        )
        got_i = any_int & (rng.random(N) < pi)
        got_e = any_ext & (rng.random(N) < pe)
        li = p.instr_int_mean + person + rng.normal(0.0, p.instr_sd, N)
        le = p.instr_ext_mean + person + rng.normal(0.0, p.instr_sd, N)
        vi = np.where(got_i, _likert(li), np.nan)
        ve = np.where(got_e, _likert(le), np.nan)
        both = np.where(got_i & got_e, (vi + ve) / 2.0, np.where(got_i, vi, ve))
        out[f"instr_{d}"] = np.floor(both + 0.5)  # half rounds up; NaN where none received
        out[f"instr_int_{d}"] = vi
        out[f"instr_ext_{d}"] = ve
    return out


def _family(
    seed: int, reg: dict[str, np.ndarray], inst: pd.DataFrame, p: SynthParams, cb: Codebook
) -> dict[str, np.ndarray]:
    rng = _rng(seed, "family")
    where = reg["where"]
    N = where.size
    age = reg["age"]
    regime = reg["regime"]
    fac = {k: inst[k].to_numpy(dtype=float)[where] for k in cb.family_facilities}
    kids = rng.random(N) < p.has_children_rate
    partner = rng.random(N) < p.has_partner_rate
    nan = np.full(N, np.nan)

    def routed(x: np.ndarray, cond: np.ndarray) -> np.ndarray:
        return np.where(cond, x, nan)

    n_children = np.minimum(1 + rng.poisson(0.7, N), 15).astype(float)
    youngest = np.minimum(rng.integers(0, 18, N), np.maximum(age - 16, 0)).astype(float)
    lived = rng.random(N) < p.lived_with_children_rate
    places = np.array(list(p.children_live_with_shares), dtype=object)
    live_with = rng.choice(places, N, p=np.array(list(p.children_live_with_shares.values())))
    duty = rng.random(N) < np.where(lived, 2 * p.duty_of_care_rate, 0.5 * p.duty_of_care_rate)
    kind_check = kids & (rng.random(N) < p.kind_check_rate)
    protect = rng.random(N) < p.child_protection_rate
    tie = rng.normal(-(p.family_tie_sd**2) / 2, p.family_tie_sd, N)  # E[exp(tie)] = 1
    mult = np.exp(tie)
    v_partner = np.minimum(rng.poisson(p.visits_partner_mean * mult), 31).astype(float)
    child_rate = (
        p.visits_children_mean
        * mult
        * np.where(fac["has_child_friendly_visiting"] == 1, p.child_friendly_visit_ratio, 1.0)
        * np.where(lived, 1.3, 0.7)
        # x 1.0 at the default ratio: the same draws as before the parameter existed
        * np.where(fac["has_family_room"] == 1, p.family_room_visit_ratio, 1.0)
    )
    v_children = np.minimum(rng.poisson(child_rate), 31).astype(float)
    v_family = np.minimum(rng.poisson(p.visits_family_mean * mult), 31).astype(float)
    v_friends = np.minimum(rng.poisson(p.visits_friends_mean * mult), 31).astype(float)
    phone = np.minimum(rng.poisson(p.phone_calls_week_mean * np.sqrt(mult)), 50).astype(float)
    video = np.minimum(rng.poisson(p.video_calls_month_mean * mult), 31) * fac["video_calling"]
    letters = np.minimum(rng.poisson(p.letters_month_mean * mult), 100).astype(float)
    pcd_p = np.minimum(0.9, p.parent_child_day_per_day * fac["parent_child_days_per_year"])
    pcd = (rng.random(N) < pcd_p).astype(float)
    room = (fac["has_family_room"] == 1) & (
        rng.random(N) < p.family_room_visit_rate * np.where(kids | partner, 1.6, 0.5)
    )
    unsup_p = (
        p.unsupervised_visit_rate
        * np.where(regime == "BBA", 3.0, 1.0)
        * np.where(reg["weeks_detained"] > 26, 1.5, 0.8)
    )
    unsup = rng.random(N) < np.minimum(unsup_p, 0.9)
    father = kids & ~reg["female"]
    s = p.shell_rates
    u, v = rng.random(N), rng.random(N)
    # shell 3 (father wing) where the institution has one; otherwise shells 2 and 1
    lower = np.where(v < s["shell2"], 2.0, np.where(v < s["shell2"] + s["shell1"], 1.0, 0.0))
    shell = np.where(
        father, np.where((fac["has_father_wing"] == 1) & (u < s["shell3"]), 3.0, lower), 0.0
    )
    goal_p = np.where(
        kids,
        p.dr_plan_family_goal_rate["with_children"],
        p.dr_plan_family_goal_rate["without_children"],
    )
    goal = rng.random(N) < goal_p * np.where(fac["has_family_officer"] == 1, 1.5, 0.7)
    leave = rng.random(N) < p.leave_family_reason_rate * np.where(regime == "BBA", 3.0, 1.0)
    visited = (v_partner * partner + v_children * kids + v_family) > 0
    sat_latent = p.sat_family_mean + p.sat_family_contact_effect * visited + rng.normal(0.0, 0.9, N)
    return {
        "has_children": kids.astype(float),
        "n_children": routed(n_children, kids),
        "youngest_child_age": routed(youngest, kids),
        "lived_with_children": routed(lived.astype(float), kids),
        "children_live_with": np.where(
            kids, np.where(lived & (rng.random(N) < 0.6), "other_parent", live_with), None
        ).astype(object),
        "duty_of_care": routed(duty.astype(float), kids),
        "kind_check": kind_check.astype(float),
        "child_protection_involved": routed(protect.astype(float), kids),
        "has_partner": partner.astype(float),
        "visits_partner": routed(v_partner, partner),
        "visits_children": routed(v_children, kids),
        "visits_family": v_family,
        "visits_friends": v_friends,
        "phone_calls_week": phone,
        "video_calls_month": video.astype(float),
        "letters_month": letters,
        "parent_child_day": routed(pcd, kids),
        "family_room_visit": room.astype(float),
        "unsupervised_visit": unsup.astype(float),
        "family_approach_shell": shell,
        "dr_plan_family_goal": goal.astype(float),
        "leave_family_reason": leave.astype(float),
        "sat_family_contact": _likert(sat_latent),
    }


def _family_truth(inst: pd.DataFrame, p: SynthParams) -> dict[str, Any]:
    """Institution facilities -> family contact, per institution (see ``_family``)."""
    ids = inst["institution_id"].tolist()
    days = inst["parent_child_days_per_year"].to_numpy(dtype=float)
    friendly = inst["has_child_friendly_visiting"].to_numpy(dtype=float)
    room = inst["has_family_room"].to_numpy(dtype=float)

    def per_inst(x: np.ndarray) -> dict[str, float]:
        return dict(zip(ids, map(float, x), strict=True))

    return {
        "has_children_rate": p.has_children_rate,
        "has_partner_rate": p.has_partner_rate,
        "visit_means_before_facilities": {
            "visits_partner": p.visits_partner_mean,
            "visits_children": p.visits_children_mean,
            "visits_family": p.visits_family_mean,
            "visits_friends": p.visits_friends_mean,
        },
        "family_tie_sd_log": p.family_tie_sd,
        "child_visits_ratio_child_friendly_area": p.child_friendly_visit_ratio,
        "child_visits_ratio_family_room": p.family_room_visit_ratio,
        "p_parent_child_day_given_children": per_inst(
            np.minimum(0.9, p.parent_child_day_per_day * days)
        ),
        "mean_visits_children_given_children": per_inst(
            p.visits_children_mean
            * np.where(friendly == 1, p.child_friendly_visit_ratio, 1.0)
            * np.where(room == 1, p.family_room_visit_ratio, 1.0)
            * (p.lived_with_children_rate * 1.3 + (1 - p.lived_with_children_rate) * 0.7)
        ),
        "video_calls_possible": per_inst(inst["video_calling"].to_numpy(dtype=float)),
        "family_room_visit_possible": per_inst(inst["has_family_room"].to_numpy(dtype=float)),
        "shell3_possible": per_inst(inst["has_father_wing"].to_numpy(dtype=float)),
        "sat_family_contact_effect_of_visit_latent": p.sat_family_contact_effect,
        "prep_social_network_effect_of_family_contact": p.prep_family_contact_social_network,
    }


def _preparedness(
    seed: int, pris: pd.DataFrame, p: SynthParams, cb: Codebook
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rng = _rng(seed, "preparedness")
    out: dict[str, np.ndarray] = {}
    domains: dict[str, Any] = {}
    overall: dict[str, float] = {}
    n_clipped = 0
    b = p.prep_beta
    full = preparedness_design(pris, None, cb)
    # One person-level factor z_i ~ N(0, 1), independent of X, shared by the six domains.
    # p_id = Phi((Phi^-1(m_id) + sqrt(rho) z_i) / sqrt(1 - rho)) is probit-normal with
    # E[p_id | X] = m_id exactly (E[Phi(a + bZ)] = Phi(a / sqrt(1 + b^2))), so the items stay
    # exactly linear in X while the shared z makes them correlate (latent correlation rho).
    rho = float(p.prep_factor_rho)
    z = rng.standard_normal(len(pris))
    shift, scale = np.sqrt(rho) * z, np.sqrt(1.0 - rho)
    for d in cb.domains:
        X = full[list(preparedness_terms(d))]
        generic = {
            "Intercept": b["Intercept"] + p.prep_domain_shift[d],
            f"need_{d}": b["need"],
            "sat_int_c": b["sat_int_c"],
            "sat_ext_c": b["sat_ext_c"],
            f"instr_int_{d}_c": b["instr_int_c"],
            f"instr_ext_{d}_c": b["instr_ext_c"],
            f"need_{d}:instr_int_{d}_c": b["need:instr_int_c"],
            f"need_{d}:instr_ext_{d}_c": b["need:instr_ext_c"],
        }
        if d == "social_network":
            generic["family_contact"] = p.prep_family_contact_social_network
        beta = {t: float(generic[t]) for t in preparedness_terms(d)}
        mu = X.to_numpy() @ np.array(list(beta.values()))
        q = (mu - 1.0) / 4.0
        n_clipped += int(np.sum((q < 0) | (q > 1)))
        # ndtri(0) = -inf and ndtri(1) = +inf keep q = 0 or 1 degenerate (p = q) for any z
        pi = ndtr((ndtri(np.clip(q, 0.0, 1.0)) + shift) / scale)
        # 1 + Binomial(4, p) with E[p | X] = q has mean exactly mu: the linear model holds
        # exactly on the 1-5 item
        out[f"prep_{d}"] = 1.0 + rng.binomial(4, pi).astype(float)
        domains[d] = {"beta": beta, "implied_mean": float(np.mean(mu))}
        for t, v in beta.items():
            overall[t] = overall.get(t, 0.0) + v / len(cb.domains)
    truth = {
        "model": (
            "E[prep_d | X] = X_d @ beta_d exactly; m_d = (X_d @ beta_d - 1) / 4; "
            "p_d = Phi((Phi^-1(m_d) + sqrt(rho) z) / sqrt(1 - rho)), z ~ N(0, 1) per prisoner "
            "shared by the domains; prep_d = 1 + Binomial(4, p_d)"
        ),
        "factor_rho": rho,
        "factor": "z ~ N(0, 1) per prisoner, independent of X; rho = latent correlation",
        "design": "reintegratie_stats.synth.preparedness_design(prisoners, domain)",
        "domains": domains,
        "overall": {
            "outcome": "mean of the six prep_<domain> items",
            "beta": overall,
        },
        "n_clipped": n_clipped,
    }
    return out, truth


# --------------------------------------------------------------------------------------------
def generate(
    seed: int = 2019,
    n_prisoners: int = 4100,
    n_institutions: int = 26,
    n_professionals: int = 1000,
    params: SynthParams | None = None,
    missing: MissingSpec | None = None,
) -> SynthData:
    """Draw the synthetic twin.

    Parameters
    ----------
    seed : int
        Seed of every random stream; same seed and ``GENERATOR_VERSION`` give the same data.
    n_prisoners, n_institutions, n_professionals : int
        Table sizes (defaults: the 2019 DPVS wave). ``n_professionals`` must be at least
        ``n_institutions`` (every institution is rated by at least one professional).
    params : SynthParams, optional
        True parameters (default ``SynthParams()``).
    missing : MissingSpec, optional
        Item non-response applied after generation (default: none).

    Returns
    -------
    SynthData

    Examples
    --------
    >>> d = generate(seed=1, n_prisoners=300)
    >>> d.prisoners.shape[0], d.institutions.shape[0], d.professionals.shape[0]
    (300, 26, 1000)
    >>> d.prisoners["prisoner_id"].iloc[0]
    'R000001'
    """
    for name, val, low in (
        ("n_prisoners", n_prisoners, 1),
        ("n_institutions", n_institutions, 1),
        ("n_professionals", n_professionals, 1),
    ):
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {val!r}")
    if n_professionals < n_institutions:
        raise ValueError(
            f"n_professionals ({n_professionals}) must be >= n_institutions ({n_institutions}): "
            "every institution needs at least one rating"
        )
    seed = int(seed)
    p = params or SynthParams()
    cb = load_codebook()
    inst, iv = _institutions(seed, n_institutions, p, cb)
    prof = _professionals(seed, n_professionals, inst, iv, p, cb)
    reg = _registration(seed, n_prisoners, inst, iv, p, cb)
    needs, needs_truth = _needs(seed, reg["reg"], p, cb)

    cols: dict[str, np.ndarray] = {
        "prisoner_id": _ids("R", n_prisoners, 6),
        "institution_id": reg["institution_id"],
        "regime": reg["regime"],
        "sex": reg["sex"],
        "age": reg["age"],
        "weeks_detained": reg["weeks_detained"],
        "weeks_to_release": reg["weeks_to_release"],
        "prior_convictions": reg["prior_convictions"],
        "weight": np.full(n_prisoners, float(p.weight)),
        **needs,
    }
    cols["phase"] = derive.phase(
        _frame(cols, ["weeks_detained", "weeks_to_release"]), cb
    ).to_numpy()
    cols["soon_released"] = derive.soon_released(_frame(cols, ["weeks_to_release"]), cb).to_numpy()
    design_cols = ["institution_id", "regime", "weeks_detained", "phase", *needs]
    X = contact_design(_frame(cols, design_cols), inst, prof)
    contact, contact_truth, u = _contact(seed, X, reg["where"], n_institutions, p, cb)
    del X
    sat, person, sat_truth = _satisfaction(seed, contact, p, cb)
    cols.update({f"contact_{t}": v for t, v in contact.items()})
    cols.update(sat)
    cols.update(_instrumental(seed, contact, needs, person, p, cb))
    cols.update(_family(seed, reg, inst, p, cb))
    prep, prep_truth = _preparedness(seed, _frame(cols, None), p, cb)
    cols.update(prep)
    small = _frame(
        cols, ["weeks_detained", *needs, *(f"contact_{t}" for t in cb.professional_types)]
    )
    cols["detention_length_band"] = derive.detention_length_band(small, cb).to_numpy()
    n_needs = derive.n_needs(small, cb)
    cols["n_needs"] = n_needs.to_numpy()
    cols["complex_needs"] = derive.complex_needs(small.assign(n_needs=n_needs), cb).to_numpy()
    cols["any_contact"] = derive.any_contact(small, cb).to_numpy()
    pris = _canonical(cols, "prisoners", cb)
    del cols, small

    tables = {
        "institutions": _canonical(dict(inst.items()), "institutions", cb),
        "prisoners": pris,
        "professionals": _canonical(dict(prof.items()), "professionals", cb),
    }
    missing_truth: dict[str, Any] = {"mcar": {}, "mar": [], "n_made_missing": {}}
    if missing is not None:
        tables, missing_truth = apply_missing(tables, missing, _rng(seed, "missing"), cb)

    ids = inst["institution_id"].tolist()
    contact_truth["institution_intercepts"] = {
        t: dict(zip(ids, map(float, u[:, k]), strict=True))
        for k, t in enumerate(cb.professional_types)
    }
    cov = institution_covariates(inst, prof)
    truth = {
        "generator": {
            "package": "reintegratie_stats",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "n_prisoners": n_prisoners,
            "n_institutions": n_institutions,
            "n_professionals": n_professionals,
        },
        "institutions": {
            "regimes_held": {
                i: [r for k, r in enumerate(cb.regimes) if iv["avail"][j, k]]
                for j, i in enumerate(ids)
            },
            "size_weight": dict(zip(ids, map(float, iv["size"]), strict=True)),
            "true_scores": {
                k: dict(zip(ids, map(float, v), strict=True)) for k, v in iv["scores"].items()
            },
            "low_on_information_and_facilities": [i for j, i in enumerate(ids) if iv["low"][j]],
            "aggregated_scores": {
                c: dict(zip(ids, map(float, cov[c].to_numpy()), strict=True))
                for c in [*cb.facilitation_scores, "facilitation"]
            },
        },
        "needs": needs_truth,
        "family": _family_truth(inst, p),
        "contact": contact_truth,
        "satisfaction": sat_truth,
        "preparedness": prep_truth,
        "missing": missing_truth,
        "params": p.to_dict(),
    }
    return SynthData(
        institutions=tables["institutions"],
        prisoners=tables["prisoners"],
        professionals=tables["professionals"],
        truth=jsonable(truth),
    )


def _frame(cols: dict[str, np.ndarray], names: list[str] | None) -> pd.DataFrame:
    """A no-copy DataFrame over some of the generated columns (for the design helpers)."""
    return pd.DataFrame({n: cols[n] for n in (names if names is not None else cols)}, copy=False)


def _canonical(cols: dict[str, Any], table: str, cb: Codebook) -> pd.DataFrame:
    """Codebook column order; numeric float64, strings as object with NaN for missing (as io)."""
    schema = cb[table]
    missing_cols = [n for n in schema.names if n not in cols]
    if missing_cols:
        raise RuntimeError(f"generator did not produce {table} columns {missing_cols}")
    out = {}
    for v in schema:
        arr = np.asarray(cols[v.name])
        if v.is_numeric:
            out[v.name] = arr.astype(float, copy=False)
        else:
            arr = arr.astype(object, copy=False)
            # an explicit object Series: pandas 3 would otherwise infer its "str" dtype
            out[v.name] = pd.Series(np.where(pd.isna(arr), np.nan, arr), dtype=object, copy=False)
    return pd.DataFrame(out, copy=False)


#: The registration columns that :func:`draw_family` returns.
_FAMILY_REGISTRATION = (
    "institution_id",
    "regime",
    "sex",
    "age",
    "weeks_detained",
    "prior_convictions",
)


def draw_family(
    seed: int = 2019,
    n_prisoners: int = 4100,
    n_institutions: int = 26,
    params: SynthParams | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The institutions table and the prisoners' registration and family columns only.

    Draws only the blocks a family analysis needs (fast repeated draws for power studies).
    Every block draws from its own random stream, so these are the *same values* that
    :func:`generate` gives for the same seed, sizes and parameters (tested), in about a fifth
    of the time.

    Parameters
    ----------
    seed, n_prisoners, n_institutions, params
        As :func:`generate` (``n_professionals`` does not change these blocks).

    Returns
    -------
    (institutions, prisoners) : tuple of DataFrame
        ``institutions`` is the canonical table; ``prisoners`` has ``institution_id``,
        ``regime``, ``sex``, ``age``, ``weeks_detained``, ``prior_convictions`` and the family
        columns (``has_children``, ``visits_children``, ``parent_child_day``, ...), equal to
        those of ``generate(seed, n_prisoners, n_institutions, params=params)``.

    Examples
    --------
    >>> inst, pris = draw_family(seed=3, n_prisoners=200, n_institutions=8)
    >>> full = generate(seed=3, n_prisoners=200, n_institutions=8, n_professionals=40)
    >>> v = "visits_children"
    >>> bool((pris[v].fillna(-1) == full.prisoners[v].fillna(-1)).all())
    True
    """
    for name, val in (("n_prisoners", n_prisoners), ("n_institutions", n_institutions)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {val!r}")
    seed = int(seed)
    p = params or SynthParams()
    cb = load_codebook()
    inst, iv = _institutions(seed, n_institutions, p, cb)
    reg = _registration(seed, n_prisoners, inst, iv, p, cb)
    cols = {c: reg[c] for c in _FAMILY_REGISTRATION}
    cols.update(_family(seed, reg, inst, p, cb))
    institutions = _canonical(dict(inst.items()), "institutions", cb)
    return institutions, pd.DataFrame(cols)
