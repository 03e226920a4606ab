"""Item non-response for the synthetic twin: MCAR and MAR on named variables.

Missingness is applied after the complete data are generated (so ``truth`` describes the
complete data) from its own random stream (so it never shifts any other variable). Values
already missing by routing stay missing and are not counted.

Examples
--------
>>> from reintegratie_stats.synth import MissingSpec, MARRule, generate
>>> spec = MissingSpec(mcar={"age": 0.05}, mar=(MARRule("prep_housing", "age", 0.10, 1.0),))
>>> d = generate(n_prisoners=500, missing=spec)
>>> bool(0.0 < d.prisoners["age"].isna().mean() < 0.12)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..schema import Codebook

__all__ = ["MARRule", "MissingSpec", "apply_missing"]


@dataclass(frozen=True)
class MARRule:
    """Missing at random: ``P(missing) = expit(logit(rate) + slope * z)``.

    ``z`` is the standardised value of the observed variable ``depends_on`` (same table;
    missing ``depends_on`` counts as its mean), so ``rate`` is the missing rate at the mean
    and ``slope`` the log-odds change per SD.
    """

    variable: str
    depends_on: str
    rate: float
    slope: float = 1.0


@dataclass(frozen=True)
class MissingSpec:
    """Item non-response to apply to the twin.

    Parameters
    ----------
    mcar : mapping
        Variable name -> probability that an answered item becomes missing (MCAR).
    mar : tuple of MARRule
        MAR rules (see :class:`MARRule`).
    """

    mcar: Mapping[str, float] = field(default_factory=dict)
    mar: tuple[MARRule, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "mcar": {k: float(v) for k, v in self.mcar.items()},
            "mar": [
                {
                    "variable": r.variable,
                    "depends_on": r.depends_on,
                    "rate": float(r.rate),
                    "slope": float(r.slope),
                }
                for r in self.mar
            ],
        }


def _table_of(cb: Codebook, name: str) -> str:
    for t in ("prisoners", "professionals", "institutions"):
        if name in cb[t]:
            return t
    raise ValueError(f"MissingSpec: {name!r} is not a variable in the codebook")


def _check(cb: Codebook, name: str, rate: float) -> str:
    table = _table_of(cb, name)
    var = cb[table][name]
    if var.type == "id" or var.required:
        raise ValueError(f"MissingSpec: {name!r} is a required/id variable and cannot be missing")
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"MissingSpec: rate for {name!r} must be in [0, 1), got {rate}")
    return table


def apply_missing(
    tables: dict[str, pd.DataFrame],
    spec: MissingSpec,
    rng: np.random.Generator,
    codebook: Codebook,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Return new tables with item non-response applied and a record of what was done.

    The record (stored in ``truth["missing"]``) holds the spec and, per variable, the number
    of answered values made missing.
    """
    out = {k: v.copy(deep=False) for k, v in tables.items()}
    counts: dict[str, int] = {}
    # MAR drivers are read from the complete data, before any item is removed.
    drivers: dict[tuple[str, str], np.ndarray] = {}
    for rule in spec.mar:
        table = _check(codebook, rule.variable, rule.rate)
        if rule.depends_on not in tables[table]:
            raise ValueError(
                f"MissingSpec: MAR driver {rule.depends_on!r} of {rule.variable!r} is not a "
                f"column of table {table!r}"
            )
        x = pd.to_numeric(tables[table][rule.depends_on], errors="coerce").to_numpy(dtype=float)
        if np.isnan(x).all():
            raise ValueError(f"MissingSpec: MAR driver {rule.depends_on!r} is not numeric")
        sd = np.nanstd(x)
        z = np.where(np.isnan(x), 0.0, (x - np.nanmean(x)) / (sd if sd > 0 else 1.0))
        drivers[(rule.variable, rule.depends_on)] = z
    for name in sorted(spec.mcar):
        rate = spec.mcar[name]
        table = _check(codebook, name, rate)
        col = out[table][name]
        hit = (rng.random(len(col)) < rate) & col.notna().to_numpy()
        out[table][name] = col.mask(hit)
        counts[name] = counts.get(name, 0) + int(hit.sum())
    for rule in spec.mar:
        table = _table_of(codebook, rule.variable)
        z = drivers[(rule.variable, rule.depends_on)]
        p = expit(logit(rule.rate) + rule.slope * z) if rule.rate > 0 else np.zeros(len(z))
        col = out[table][rule.variable]
        hit = (rng.random(len(col)) < p) & col.notna().to_numpy()
        out[table][rule.variable] = col.mask(hit)
        counts[rule.variable] = counts.get(rule.variable, 0) + int(hit.sum())
    return out, {**spec.to_dict(), "n_made_missing": counts}
