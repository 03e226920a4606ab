"""An independent disclosure attacker: reads nothing but a report's ``tables/*.csv``.

It knows what any reader of the published tables knows (how the tables relate: cells of a 2x2
table add up to its margins, breakdowns add up to the overall row, ``n + n_missing`` is a group's
size, a published rate times ``n`` is the count, a 0/1 term's SD gives its group size) and
nothing of the package's code. Every relation becomes a linear equation over the cells; a
suppressed cell ("<10") is an unknown with ``0 <= x <= threshold - 1``, a withheld count ("x", any
other text in a count column) an unknown ``x >= 0``. A suppressed cell is
*recovered* when linear programming pins it to one integer. The test compares recovered values
with the unsuppressed truth, so a wrong relation can only make the attacker weaker, never create
a false finding.

Used by ``tests/test_disclosure_attack.py``; deliberately not part of the package (an attacker
that shared the package's code would share its blind spots).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

SUPPRESSED = re.compile(r"^<(\d+)$")
WITHHELD = "x"
# Columns that name a row (not counts, not statistics): what a reader joins tables on.
KEYS = (
    "type",
    "item",
    "variable",
    "need",
    "regime",
    "phase",
    "detention_length_band",
    "needs_group",
    "predictor",
    "outcome",
    "measure",
    "model",
    "term",
    "group",
    "type_a",
    "type_b",
    "norm",
    "institution_id",
    "equation",
    "score",
    "reason",
    "table",
    "matched",
)


@dataclass
class Cell:
    table: str
    row: int
    column: str


@dataclass
class Attack:
    """Unknowns (suppressed cells), published constants and the equations between them."""

    threshold: int = 10
    unknowns: list[Cell] = field(default_factory=list)
    small: list[bool] = field(default_factory=list)  # "<k" (else withheld, "x": unbounded)
    index: dict[tuple[str, int, str], int] = field(default_factory=dict)
    rows: list[dict[int, float]] = field(default_factory=list)
    rhs: list[float] = field(default_factory=list)
    group_sizes: list[tuple[str, str, int]] = field(default_factory=list)

    def term(self, tables: dict[str, pd.DataFrame], t: str, r: int, c: str):
        """A cell as ('u', index) for an unknown, ('k', value) for a constant, or None."""
        v = tables[t].at[r, c]
        if isinstance(v, str):
            m = SUPPRESSED.match(v.strip())
            if m or (v.strip() == WITHHELD and (c == "n" or c.startswith("n_"))):
                if m:
                    self.threshold = int(m.group(1))
                key = (t, r, c)
                if key not in self.index:
                    self.index[key] = len(self.unknowns)
                    self.unknowns.append(Cell(t, r, c))
                    self.small.append(bool(m))
                return ("u", self.index[key])
            try:
                v = float(v)
            except ValueError:
                return None
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return ("k", float(v))

    def equation(self, tables, lhs: list[tuple[float, str, int, str]], const: float = 0.0):
        """Add ``sum(coef * cell) = const`` when every cell is readable and one is unknown."""
        row: dict[int, float] = {}
        rhs = const
        for coef, t, r, c in lhs:
            if t not in tables or c not in tables[t].columns:
                return
            x = self.term(tables, t, r, c)
            if x is None:
                return
            if x[0] == "u":
                row[x[1]] = row.get(x[1], 0.0) + coef
            else:
                rhs -= coef * x[1]
        if row:
            self.rows.append(row)
            self.rhs.append(rhs)


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False).replace({"": None})
        for p in sorted(Path(folder).glob("*.csv"))
    }


def _num(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _keys(df: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    return [c for c in df.columns if c in KEYS and c not in exclude]


def build(tables: dict[str, pd.DataFrame]) -> Attack:
    a = Attack()
    for name, df in tables.items():
        cols = set(df.columns)
        for r in df.index:
            # 2x2 tables: cells add up to margins, margins to n
            if {"n_exposed_outcome", "n_exposed_no_outcome", "n_exposed"} <= cols:
                a.equation(
                    tables,
                    [
                        (1, name, r, "n_exposed_outcome"),
                        (1, name, r, "n_exposed_no_outcome"),
                        (-1, name, r, "n_exposed"),
                    ],
                )
                a.equation(
                    tables,
                    [
                        (1, name, r, "n_unexposed_outcome"),
                        (1, name, r, "n_unexposed_no_outcome"),
                        (-1, name, r, "n_unexposed"),
                    ],
                )
                a.equation(
                    tables,
                    [(1, name, r, "n_exposed"), (1, name, r, "n_unexposed"), (-1, name, r, "n")],
                )
            if {"n_both", "n_a_only", "n_b_only", "n_neither"} <= cols:
                a.equation(
                    tables,
                    [(1, name, r, c) for c in ("n_both", "n_a_only", "n_b_only", "n_neither")]
                    + [(-1, name, r, "n")],
                )
            # a published rate times n is the count (rates have six significant digits)
            for count in ("n_contact", "n_any", "n_met", "n_no_contact"):
                if count in cols and "rate" in cols:
                    rate = _num(df.at[r, "rate"])
                    if rate is not None:
                        a.equation(tables, [(1, name, r, count), (-rate, name, r, "n")])
    _population_equations(tables, a)
    _breakdown_equations(tables, a)
    _cross_table_equations(tables, a)
    _dummy_sd(tables, a)
    return a


def _population_equations(tables, a: Attack) -> None:
    """n + n_missing (+ n_not_applicable) is the same population for rows of one group."""
    parts = ("n", "n_missing", "n_not_applicable")
    total_n = None
    if "data_tables" in tables:
        d = tables["data_tables"]
        hit = d[d["table"] == "prisoners"]
        if len(hit):
            total_n = _num(hit["n"].iloc[0])
    regime_n = {}
    if "data_sample_by_regime" in tables:
        d = tables["data_sample_by_regime"]
        for r in d.index:
            regime_n[d.at[r, "regime"]] = ("data_sample_by_regime", r)
    for name, df in tables.items():
        if not {"n", "n_missing"} <= set(df.columns) or name.startswith("ch5"):
            continue
        present = [c for c in parts if c in df.columns]
        groupers = [c for c in ("regime", "phase", "detention_length_band") if c in df.columns]
        if name.startswith(("ch4", "family_ml", "family_prep")):
            continue
        if not groupers:
            if total_n is not None and name not in ("family_by_children", "family_by_needs"):
                for r in df.index:
                    a.equation(tables, [(1, name, r, c) for c in present], total_n)
            continue
        g = groupers[0]
        for level, idx in df.groupby(g).groups.items():
            idx = list(idx)
            if g == "regime" and level in regime_n:
                t, rr = regime_n[level]
                for r in idx:
                    a.equation(tables, [(1, name, r, c) for c in present] + [(-1, t, rr, "n")])
            for r in idx[1:]:
                a.equation(
                    tables,
                    [(1, name, r, c) for c in present] + [(-1, name, idx[0], c) for c in present],
                )


def _breakdown_equations(tables, a: Attack) -> None:
    """A breakdown's groups add up to the overall row of the same quantity."""
    pairs = {
        "ch2_contact_rates_by_regime": ("ch2_contact_rates", "regime"),
        "ch2_contact_rates_by_phase": ("ch2_contact_rates", "phase"),
        "ch2_contact_rates_by_detention_length": ("ch2_contact_rates", "detention_length_band"),
        "family_contact_rates_by_regime": ("family_contact_rates", "regime"),
        "family_contact_rates_by_phase": ("family_contact_rates", "phase"),
        "data_sample_by_regime": (None, "regime"),
        "data_sample_by_institution": (None, "institution_id"),
    }
    for part, (whole, g) in pairs.items():
        if part not in tables:
            continue
        dp = tables[part]
        if whole is None:
            total = None
            if "data_tables" in tables:
                d = tables["data_tables"]
                hit = d[d["table"] == "prisoners"]
                total = _num(hit["n"].iloc[0]) if len(hit) else None
            if total is not None:
                a.equation(tables, [(1, part, r, "n") for r in dp.index], total)
            continue
        if whole not in tables:
            continue
        dw = tables[whole]
        keys = _keys(dp, exclude=(g,))
        for wr in dw.index:
            sel = np.ones(len(dp), dtype=bool)
            for k in keys:
                if k in dw.columns:
                    sel &= (dp[k] == dw.at[wr, k]).to_numpy()
            rows = list(dp.index[sel])
            if not rows:
                continue
            for c in dp.columns:
                if c == "n" or c.startswith("n_"):
                    if c in dw.columns:
                        a.equation(tables, [(1, part, r, c) for r in rows] + [(-1, whole, wr, c)])


def _cross_table_equations(tables, a: Attack) -> None:
    """Satisfaction is asked of those with contact; cross-tables margins are contact counts."""
    if "ch2_satisfaction" in tables and "ch2_contact_rates" in tables:
        s, c = tables["ch2_satisfaction"], tables["ch2_contact_rates"]
        for r in s.index:
            hit = c.index[c["type"] == s.at[r, "type"]]
            if len(hit):
                a.equation(
                    tables,
                    [
                        (1, "ch2_satisfaction", r, "n"),
                        (1, "ch2_satisfaction", r, "n_missing"),
                        (-1, "ch2_contact_rates", hit[0], "n_contact"),
                    ],
                )
    if "ch3_needs_vs_contact" in tables and "ch2_contact_rates" in tables:
        x, c = tables["ch3_needs_vs_contact"], tables["ch2_contact_rates"]
        for r in x.index:
            hit = c.index[c["type"] == x.at[r, "type"]]
            if len(hit):
                a.equation(
                    tables,
                    [
                        (1, "ch3_needs_vs_contact", r, "n_exposed_outcome"),
                        (1, "ch3_needs_vs_contact", r, "n_unexposed_outcome"),
                        (-1, "ch2_contact_rates", hit[0], "n_contact"),
                    ],
                )
    if "ch2_cooccurrence" in tables and "ch2_contact_rates" in tables:
        x, c = tables["ch2_cooccurrence"], tables["ch2_contact_rates"]
        for r in x.index:
            for side, cells in (
                ("type_a", ("n_both", "n_a_only")),
                ("type_b", ("n_both", "n_b_only")),
            ):
                hit = c.index[c["type"] == x.at[r, side]]
                if len(hit):
                    a.equation(
                        tables,
                        [(1, "ch2_cooccurrence", r, k) for k in cells]
                        + [(-1, "ch2_contact_rates", hit[0], "n_contact")],
                    )
    # a model's n plus its exclusions is its input: the chapter-5 sample, or all prisoners
    sample = None
    if "ch5_sample" in tables:
        d = tables["ch5_sample"]
        hit = d.index[d["reason"] == "analysis_sample"]
        sample = ("ch5_sample", hit[0]) if len(hit) else None
    for name, df in tables.items():
        if name.startswith("ch5_") and {"n", "n_excluded"} <= set(df.columns) and sample:
            for r in df.index:
                a.equation(
                    tables,
                    [
                        (1, name, r, "n"),
                        (1, name, r, "n_excluded"),
                        (-1, sample[0], sample[1], "n"),
                    ],
                )
        if {"n_obs", "n_excluded"} <= set(df.columns) and "data_tables" in tables:
            d = tables["data_tables"]
            hit = d.index[d["table"] == "prisoners"]
            for r in df.index:
                if len(hit):
                    a.equation(
                        tables,
                        [
                            (1, name, r, "n_obs"),
                            (1, name, r, "n_excluded"),
                            (-1, "data_tables", hit[0], "n"),
                        ],
                    )
    if "ch5_sample" in tables:
        d = tables["ch5_sample"]
        ins = d.index[d["reason"] == "input_rows"]
        if len(ins):
            a.equation(
                tables,
                [(1, "ch5_sample", r, "n") for r in d.index if r != ins[0]]
                + [(-1, "ch5_sample", ins[0], "n")],
            )


def _dummy_sd(tables, a: Attack) -> None:
    """k(n-k) = sd^2 n(n-1): the SD of a 0/1 term and the n give the category's size."""
    if "ch5_standardized" not in tables:
        return
    d = tables["ch5_standardized"]
    ols = tables.get("ch5_ols")
    for r in d.index:
        term = str(d.at[r, "term"])
        if "[T." not in term or ":" in term:
            continue
        sd = _num(d.at[r, "sd_x"])
        n = None
        if ols is not None:
            hit = ols[(ols["outcome"] == d.at[r, "outcome"]) & (ols["term"] == term)]
            if len(hit):
                n = _num(hit["n"].iloc[0])
        if sd is None or n is None:
            continue
        disc = n * n / 4 - sd * sd * n * (n - 1)
        k = n / 2 - math.sqrt(max(disc, 0.0))
        a.group_sizes.append((str(d.at[r, "outcome"]), term, int(round(k))))


def pinned(a: Attack) -> dict[int, int]:
    """Unknowns that linear programming pins to a single integer: {unknown: value}."""
    m = len(a.unknowns)
    if m == 0 or not a.rows:
        return {}
    rr, cc, vv = [], [], []
    for i, row in enumerate(a.rows):
        for j, v in row.items():
            rr.append(i)
            cc.append(j)
            vv.append(v)
    A = coo_matrix((vv, (rr, cc)), shape=(len(a.rows), m)).tocsr()
    b = np.asarray(a.rhs)
    # components of the unknowns linked by equations: solve each on its own
    link = (A.T @ A).tocoo()
    _, comp = connected_components(link, directed=False)
    out: dict[int, int] = {}
    ub = a.threshold - 1
    for c in np.unique(comp):
        cols = np.flatnonzero(comp == c)
        rows = np.unique(A[:, cols].nonzero()[0])
        Ac = A[rows][:, cols].toarray()
        bc = b[rows]
        # equations of rounded rates hold only to rounding: allow a small slack
        slack = 0.5
        A_ub = np.vstack([Ac, -Ac])
        b_ub = np.r_[bc + slack, -bc + slack]
        bounds = [(0, ub) if a.small[j] else (0, None) for j in cols]
        for k, j in enumerate(cols):
            obj = np.zeros(len(cols))
            obj[k] = 1.0
            lo = linprog(obj, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
            hi = linprog(-obj, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
            if lo.status != 0 or hi.status != 0:
                continue
            low, high = math.ceil(lo.fun - 1e-6), math.floor(-hi.fun + 1e-6)
            if low == high:
                out[int(j)] = int(low)
    return out


def attack(folder: Path) -> tuple[Attack, dict[int, int]]:
    tables = read_tables(folder)
    a = build(tables)
    return a, pinned(a)
