"""Simulation-based power: draw the twin with an effect set, refit the chapter's model, count.

For every design point (a :class:`~reintegratie_stats.power.Design` and one value of an
:class:`~reintegratie_stats.power.Effect`) simulation ``i`` draws the twin with
``generate(seed=sim_seed(seed, i), ...)`` and the effect's parameter set to the value, builds
the analysis frame and runs the test. Simulation ``i`` has the same seed at every design
point (common random numbers), so differences between effect values are estimated more
precisely than independent runs would give, and a run is reproducible whatever ``n_jobs``.

Finished simulations are appended to a JSON-lines cache file per design point (``cache_dir``),
so an interrupted run (Ctrl-C, a killed job) resumes where it stopped and a larger ``n_sims``
adds only the missing simulations.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..synth import GENERATOR_VERSION, SynthData, SynthParams, draw_family, generate, set_parameters
from .analyses import ANALYSES, Analysis, PowerTest, WaldTest
from .design import EFFECTS, Design, Effect

__all__ = [
    "PowerResult",
    "clopper_pearson",
    "draw",
    "minimal_detectable_effect",
    "power",
    "sim_seed",
    "simulate",
    "simulated_frames",
]

#: Bumped when the cached per-simulation rows would mean something else.
CACHE_VERSION = "1"
_SIM_COLUMNS = (
    "sim",
    "seed",
    "estimate",
    "se",
    "statistic",
    "df",
    "p_value",
    "singular",
    "converged",
    "nobs",
    "n_groups",
    "error",
    "seconds",
    "cpu_seconds",
)


def sim_seed(seed: int, sim: int) -> int:
    """Seed of simulation ``sim`` of a run with ``seed`` (independent streams per simulation).

    Examples
    --------
    >>> sim_seed(1, 0) == sim_seed(1, 0), sim_seed(1, 0) == sim_seed(1, 1)
    (True, False)
    """
    return int(np.random.SeedSequence([int(seed), int(sim)]).generate_state(1, np.uint32)[0])


def clopper_pearson(
    k: np.ndarray, n: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) binomial interval for ``k`` rejections in ``n`` simulations.

    Examples
    --------
    >>> lo, hi = clopper_pearson(np.array([50]), np.array([1000]))
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.0373, 0.0654)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - a, k + 1, n - k), 1.0)
    return lo, hi


@dataclass(frozen=True)
class _Point:
    """One design point: everything a worker needs (picklable)."""

    design: Design
    effect: Effect
    value: float
    analysis: Analysis
    test: Any
    seed: int

    def params(self) -> SynthParams:
        over = {**self.design.overrides(), self.effect.parameter: float(self.value)}
        return set_parameters(over)

    def key(self) -> dict[str, Any]:
        return {
            "cache_version": CACHE_VERSION,
            "generator_version": GENERATOR_VERSION,
            "design": self.design.to_dict(),
            "parameter": self.effect.parameter,
            "value": float(self.value),
            "analysis": self.analysis.key(),
            "term": self.effect.term,
            "test": self.test.key(),
            "seed": int(self.seed),
        }

    def digest(self) -> str:
        blob = json.dumps(self.key(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:20]


def draw(analysis: Analysis, seed: int, design: Design, params: SynthParams) -> SynthData:
    """The twin one simulation fits: whole, or only the blocks the analysis reads."""
    if analysis.blocks == "family":
        inst, pris = draw_family(seed, design.total_prisoners, design.n_institutions, params)
        return SynthData(inst, pris, pd.DataFrame(), {})
    return generate(
        seed=seed,
        n_prisoners=design.total_prisoners,
        n_institutions=design.n_institutions,
        n_professionals=design.professionals,
        params=params,
    )


def _one(point: _Point, params: SynthParams, sim: int) -> dict[str, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    s = sim_seed(point.seed, sim)
    d = point.design
    row: dict[str, Any] = {"sim": sim, "seed": s, "error": ""}
    try:
        data = draw(point.analysis, s, d, params)
        frame = point.analysis.prepare(data)
        row["nobs"] = len(frame)
        row["n_groups"] = int(frame["institution_id"].nunique())
        row.update(point.test(point.analysis, frame, point.effect.term))
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        # a wave in which the model cannot be fitted (constant outcome, a facility no
        # institution has, ...) is a simulation without a rejection, as in simr
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
    row["seconds"] = time.perf_counter() - t0
    # CPU time of this process: what the simulation costs whatever else the machine runs
    row["cpu_seconds"] = time.process_time() - c0
    return {c: row.get(c, np.nan) for c in _SIM_COLUMNS}


def _run_chunk(point: _Point, sims: Sequence[int]) -> tuple[str, list[dict[str, Any]]]:
    from threadpoolctl import threadpool_limits

    params = point.params()
    # One BLAS thread per worker: the matrices are small (n x 11), and OpenBLAS threads
    # competing for the cores make a 1850 x 11 SVD 50 times slower.
    with threadpool_limits(1):
        return point.digest(), [_one(point, params, i) for i in sims]


def _cache_path(cache_dir: Path, point: _Point) -> Path:
    return cache_dir / f"power-{point.digest()}.jsonl"


def _read_cache(path: Path) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interruption: that simulation is run again
            if "sim" in row:
                out[int(row["sim"])] = row
    return out


def _append_cache(path: Path, point: _Point, rows: list[dict[str, Any]]) -> None:
    new = not path.exists()
    with path.open("a", encoding="utf-8") as fh:
        if new:
            fh.write(json.dumps({"key": point.key()}) + "\n")
        for r in rows:
            fh.write(json.dumps({k: _jsonable(v) for k, v in r.items()}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


class _Bar:
    """A rich progress bar (rich is already the command line's dependency)."""

    def __init__(self, total: int, desc: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._p = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self._p.start()
        self._task = self._p.add_task(desc, total=total)

    def update(self, n: int) -> None:
        self._p.advance(self._task, n)

    def close(self) -> None:
        self._p.stop()


def _progress(total: int, enabled: bool, desc: str) -> _Bar | None:
    if not enabled or total == 0:
        return None
    return _Bar(total, desc)


def simulate(
    points: Sequence[_Point],
    n_sims: int,
    *,
    n_jobs: int = 1,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Run (or resume) ``n_sims`` simulations at each design point; one row per simulation.

    Low-level: :func:`power` builds the points. Rows already in the cache are not rerun.
    """
    from joblib import Parallel, delayed

    digests = [p.digest() for p in points]
    if len(set(digests)) != len(digests):
        raise ValueError("the same design point is listed twice (equal designs and values)")
    cache = Path(cache_dir) if cache_dir is not None else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    done: dict[str, dict[int, dict[str, Any]]] = {}
    tasks: list[tuple[_Point, list[int]]] = []
    n_todo = 0
    for p in points:
        have = _read_cache(_cache_path(cache, p)) if cache is not None else {}
        done[p.digest()] = {i: r for i, r in have.items() if i < n_sims}
        todo = [i for i in range(n_sims) if i not in have]
        n_todo += len(todo)
        tasks.append((p, todo))
    workers = max(1, os.cpu_count() or 1) if n_jobs == -1 else max(1, int(n_jobs))
    size = chunk_size or max(1, min(25, -(-n_todo // (4 * workers)) if n_todo else 1))
    chunks = [(p, todo[k : k + size]) for p, todo in tasks for k in range(0, len(todo), size)]
    by_digest = {p.digest(): p for p in points}
    bar = _progress(n_todo, progress, "power simulations")
    try:
        if workers == 1:
            results: Iterable = (_run_chunk(p, c) for p, c in chunks)
        else:
            results = Parallel(n_jobs=workers, return_as="generator_unordered")(
                delayed(_run_chunk)(p, c) for p, c in chunks
            )
        for digest, rows in results:
            if cache is not None:
                _append_cache(_cache_path(cache, by_digest[digest]), by_digest[digest], rows)
            for r in rows:
                done[digest][int(r["sim"])] = r
            if bar is not None:
                bar.update(len(rows))
    finally:
        if bar is not None:
            bar.close()
    frames = []
    for p in points:
        rows = done[p.digest()]
        df = pd.DataFrame([rows[i] for i in sorted(rows)], columns=list(_SIM_COLUMNS))
        for k, v in _point_columns(p).items():
            df.insert(0, k, [v] * len(df))
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["error"] = out["error"].fillna("").astype(str)
    for c in ("singular", "converged"):
        out[c] = out[c].astype("boolean")
    return out


def _point_columns(p: _Point) -> dict[str, Any]:
    d = p.design.to_dict()
    # reversed insertion at position 0 gives this order in the frame
    cols = {
        "test": p.test.name,
        "term": p.effect.term,
        "analysis": p.analysis.name,
        "value": float(p.value),
        "parameter": p.effect.parameter,
        "share_with_children": d["share_with_children"],
        "n_prisoners": d["n_prisoners"],
        "n_institutions": d["n_institutions"],
        "design": d["design"],
    }
    return cols


_KEYS = ["design", "n_institutions", "n_prisoners", "share_with_children", "parameter", "value"]


def _summarise(sims: pd.DataFrame, effect: Effect, alpha: float, level: float) -> pd.DataFrame:
    s = sims.copy()
    s["reject"] = (s["p_value"] < alpha).fillna(False).astype(bool)
    s["failed"] = s["p_value"].isna()
    s["singular"] = s["singular"].fillna(False).astype(int)
    g = s.groupby(_KEYS, sort=False, dropna=False)
    tab = g.agg(
        analysis=("analysis", "first"),
        term=("term", "first"),
        test=("test", "first"),
        n_sims=("sim", "size"),
        n_reject=("reject", "sum"),
        n_failed=("failed", "sum"),
        n_singular=("singular", "sum"),
        mean_estimate=("estimate", "mean"),
        mean_se=("se", "mean"),
        sd_estimate=("estimate", "std"),
        mean_nobs=("nobs", "mean"),
        seconds_per_sim=("seconds", "mean"),
        cpu_seconds_per_sim=("cpu_seconds", "mean"),
    ).reset_index()
    tab["n_reject"] = tab["n_reject"].astype(int)
    tab["n_failed"] = tab["n_failed"].astype(int)
    tab["power"] = tab["n_reject"] / tab["n_sims"]
    lo, hi = clopper_pearson(tab["n_reject"].to_numpy(), tab["n_sims"].to_numpy(), level)
    tab["ci_low"], tab["ci_high"] = lo, hi
    tab["alpha"] = float(alpha)
    tab["is_null"] = np.isclose(tab["value"].to_numpy(dtype=float), effect.null)
    tab.insert(tab.columns.get_loc("value") + 1, "unit", effect.unit)
    first = [*_KEYS, "unit", "analysis", "term", "test", "alpha", "n_sims", "n_reject", "power"]
    first += ["ci_low", "ci_high", "is_null", "n_failed", "n_singular"]
    return tab[first + [c for c in tab.columns if c not in first]]


def minimal_detectable_effect(
    table: pd.DataFrame, target: float = 0.8, null: float | None = None
) -> pd.DataFrame:
    """Smallest effect with power >= ``target``, per design, by linear interpolation.

    The grid values are ordered by their distance from the null; the MDE lies between the last
    value below the target and the first at or above it (interpolated linearly in power).
    Beyond the grid it is NaN (``status`` says which side).

    Parameters
    ----------
    table : DataFrame
        :attr:`PowerResult.table` (one row per design and value).
    target : float
        Target power (default .8).
    null : float, optional
        Null value (default: the value where ``is_null``, else the smallest distance from it is
        taken from the grid's first value).

    Returns
    -------
    DataFrame
        One row per design: ``design``, ``n_institutions``, ``n_prisoners``, ``parameter``,
        ``target``, ``mde``, ``value_below``, ``power_below``, ``value_above``,
        ``power_above``, ``status``.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target power must lie strictly between 0 and 1, got {target!r}")
    rows = []
    for (des, j, n, par), g in table.groupby(
        ["design", "n_institutions", "n_prisoners", "parameter"], sort=False
    ):
        nul = null
        if nul is None:
            nul = float(g.loc[g["is_null"], "value"].iloc[0]) if g["is_null"].any() else None
        vals = g["value"].to_numpy(dtype=float)
        ref = nul if nul is not None else vals[np.argmin(np.abs(vals))]
        order = np.argsort(np.abs(vals - ref), kind="stable")
        v, pw = vals[order], g["power"].to_numpy(dtype=float)[order]
        row = {"design": des, "n_institutions": j, "n_prisoners": n, "parameter": par}
        row |= {"target": target, "mde": np.nan, "value_below": np.nan, "power_below": np.nan}
        row |= {"value_above": np.nan, "power_above": np.nan}
        hit = np.flatnonzero(pw >= target)
        hit = hit[np.abs(v[hit] - ref) > 0] if nul is not None else hit
        if hit.size == 0:
            row["status"] = "not reached on the grid (MDE is larger than the largest value)"
        else:
            k = int(hit[0])
            row["value_above"], row["power_above"] = v[k], pw[k]
            if k == 0:
                row["mde"] = v[k]
                row["status"] = "reached at the smallest value of the grid (MDE at most this)"
            else:
                v0, p0 = v[k - 1], pw[k - 1]
                row["value_below"], row["power_below"] = v0, p0
                w = (target - p0) / (pw[k] - p0) if pw[k] > p0 else 1.0
                row["mde"] = v0 + w * (v[k] - v0)
                row["status"] = "interpolated"
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class PowerResult:
    """What :func:`power` returns.

    Attributes
    ----------
    table : DataFrame
        One row per design and effect value: the design columns, ``parameter``, ``value``,
        ``unit``, ``analysis``, ``term``, ``test``, ``alpha``, ``n_sims``, ``n_reject``,
        ``power``, ``ci_low``, ``ci_high`` (Clopper-Pearson, ``level``), ``is_null``,
        ``n_failed`` (fits that failed: counted as non-rejections), ``n_singular``,
        ``mean_estimate``, ``mean_se``, ``sd_estimate``, ``mean_nobs``, ``seconds_per_sim`` (wall
        time in the worker), ``cpu_seconds_per_sim``.
    sims : DataFrame
        One row per simulation (seed, estimate, se, df, p-value, error).
    effect : Effect
    target : float
        Target power of :attr:`mde`.
    seconds : float
        Wall time of the run (cached simulations cost nothing).
    """

    table: pd.DataFrame
    sims: pd.DataFrame
    effect: Effect
    target: float = 0.8
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def type_one_error(self) -> pd.DataFrame:
        """The rows at the null value (rejection rate = type-I error rate)."""
        return self.table[self.table["is_null"]].reset_index(drop=True)

    @property
    def mde(self) -> pd.DataFrame:
        """:func:`minimal_detectable_effect` at :attr:`target`."""
        return minimal_detectable_effect(self.table, self.target, self.effect.null)


def simulated_frames(
    design: Design | None = None,
    effect: str | Effect = "family_room_visit_ratio",
    value: float | None = None,
    *,
    sims: Sequence[int] | int = 10,
    analysis: str | Analysis | None = None,
    seed: int = 2026,
) -> pd.DataFrame:
    """The analysis frames :func:`power` fits, stacked with a ``sim`` column.

    For refitting the same simulated data elsewhere (an R loop of ``lme4::glmer``, as
    ``simr::powerSim`` does; ``tests/reference/power_family_lme4.R``): simulation ``i`` is the
    frame :func:`power` fits for simulation ``i`` with the same ``seed``.

    Parameters
    ----------
    design, effect, analysis, seed
        As :func:`power`.
    value : float, optional
        Effect value (default the twin's default).
    sims : int or sequence of int
        Simulation indices (an int ``k`` means ``range(k)``).

    Returns
    -------
    DataFrame
        ``sim``, ``seed`` and the analysis frame's columns.

    Examples
    --------
    >>> f = simulated_frames(Design(n_institutions=6, n_prisoners=200), sims=2, value=1.5)
    >>> sorted(set(f["sim"]))
    [0, 1]
    """
    eff = _resolve_effect(effect)
    an = _resolve_analysis(analysis, eff)
    des = design or Design()
    v = eff.default if value is None else float(value)
    point = _Point(des, eff, v, an, WaldTest(), int(seed))
    params = point.params()
    idx = range(sims) if isinstance(sims, (int, np.integer)) else list(sims)
    frames = []
    for i in idx:
        s = sim_seed(seed, i)
        f = an.prepare(draw(an, s, des, params)).reset_index(drop=True)
        f.insert(0, "seed", s)
        f.insert(0, "sim", int(i))
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _resolve_analysis(analysis: str | Analysis | None, eff: Effect) -> Analysis:
    if analysis is None:
        analysis = eff.analysis
    if isinstance(analysis, str):
        if analysis not in ANALYSES:
            raise ValueError(f"unknown analysis {analysis!r}; built in: {sorted(ANALYSES)}")
        analysis = ANALYSES[analysis]
    analysis.check_term(eff.term)
    return analysis


def _resolve_effect(effect: str | Effect) -> Effect:
    if isinstance(effect, Effect):
        return effect
    if effect not in EFFECTS:
        raise ValueError(f"unknown effect {effect!r}; the named effects are {sorted(EFFECTS)}")
    return EFFECTS[effect]


def power(
    design: Design | Sequence[Design] | None = None,
    effect: str | Effect = "family_room_visit_ratio",
    values: Sequence[float] | None = None,
    *,
    analysis: str | Analysis | None = None,
    term: str | None = None,
    test: PowerTest | None = None,
    n_sims: int = 1000,
    alpha: float = 0.05,
    target: float = 0.8,
    level: float = 0.95,
    seed: int = 2026,
    n_jobs: int = 1,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> PowerResult:
    """Power of the chapter's test to detect a named effect, by simulation on the twin.

    Parameters
    ----------
    design : Design or sequence of Design, optional
        The wave(s) (default ``Design()``: 26 institutions, 4,100 prisoners). A sequence gives
        a power curve over sizes.
    effect : str or Effect
        A key of :data:`~reintegratie_stats.power.EFFECTS` (e.g. ``"family_room_visit_ratio"``,
        ``"contact_beta.probation.facilitation"``) or an :class:`Effect` of your own.
    values : sequence of float, optional
        Values of the parameter on its natural scale (``effect.unit``); default the null and
        the twin's default value. Include the null to get the type-I rate.
    analysis : str or Analysis, optional
        Default: the effect's analysis (:data:`~reintegratie_stats.power.ANALYSES`).
    term : str, optional
        The tested term (default the effect's).
    test : PowerTest, optional
        Default :class:`WaldTest` (``glmer(ddf="between-within")``). A bootstrap LRT plugs in
        here (about 1,000 refits per simulation instead of 1).
    n_sims : int
        Simulations per design point.
    alpha : float
        Level of the test.
    target : float
        Target power of the minimal detectable effect.
    level : float
        Confidence level of the Monte Carlo intervals.
    seed : int
        Master seed; simulation ``i`` uses :func:`sim_seed` (seed, i) at every design point.
    n_jobs : int
        Worker processes (joblib; -1 = all cores). Results do not depend on it.
    cache_dir : str or Path, optional
        Folder of the per-design-point cache files: finished simulations survive an
        interruption and are not rerun.
    progress : bool
        Show a progress bar (rich) while simulating.

    Returns
    -------
    PowerResult

    Notes
    -----
    A simulation whose fit fails (a constant outcome, separation) counts as a non-rejection
    (as in ``simr``) and is counted in ``n_failed``; the power shown is then a lower bound.
    In the twin the family outcomes vary between institutions only through the facilities
    (no further institution variance; ~9 in 10 fits are singular): there the between-within
    t on 19 df is slightly conservative (type-I rate 0.042, 95% MC interval 0.030-0.056, in
    1,000 simulations at DPVS size; ``benchmarks/README.md``).

    Examples
    --------
    >>> r = power(Design(n_institutions=10, n_prisoners=400), "family_room_visit_ratio",
    ...           [1.0, 3.0], n_sims=4, seed=1)
    >>> r.table[["value", "n_sims", "power"]].shape
    (2, 3)
    >>> r.effect.unit.startswith("rate ratio")
    True
    """
    eff = _resolve_effect(effect)
    if term is not None:
        eff = Effect(eff.parameter, eff.null, eff.unit, eff.analysis, term)
    analysis = _resolve_analysis(analysis, eff)
    designs = (
        [Design()] if design is None else [design] if isinstance(design, Design) else list(design)
    )
    if not designs or not all(isinstance(d, Design) for d in designs):
        raise ValueError("design must be a Design or a non-empty sequence of Designs")
    vals = (
        list(dict.fromkeys([eff.null, eff.default]))
        if values is None
        else [float(v) for v in values]
    )
    if not vals:
        raise ValueError("values must hold at least one effect value")
    if len(set(vals)) != len(vals):
        raise ValueError(f"values must be distinct, got {vals}")
    for v in vals:  # a value the twin cannot use (a probability above 1, ...) fails here
        eff.check(v)
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ValueError(f"n_sims must be a positive integer, got {n_sims!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    test = test or WaldTest()
    points = [_Point(d, eff, v, analysis, test, int(seed)) for d in designs for v in vals]
    t0 = time.perf_counter()
    sims = simulate(points, int(n_sims), n_jobs=n_jobs, cache_dir=cache_dir, progress=progress)
    seconds = time.perf_counter() - t0
    table = _summarise(sims, eff, alpha, level)
    info = {"n_jobs": n_jobs, "seed": int(seed), "test_refits_per_sim": getattr(test, "refits", 1)}
    return PowerResult(table, sims, eff, target, seconds, info)
