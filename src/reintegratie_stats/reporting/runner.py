"""The report runner: named steps, each computed, caught, timed and protected on its own.

A step is a function ``fn(ctx: ReportContext) -> StepOutput``; the report's steps are made from
the declarative spec (:data:`~.sections.STEPS`, built by :mod:`.spec`). :func:`run_steps` runs
them one by one: a step that raises is recorded as failed with its reason and the others still
run; the wall time of each is measured; progress is shown on the console. Right after a step,
each of its tables is protected once (:func:`reintegratie_stats.disclosure.protect`) and each
of its figures rendered; the writers and the HTML page use only the protected tables and the
rendered bytes. With a background executor, steps awaiting background work run last (results
stay in report order).

Examples
--------
>>> import pandas as pd
>>> def one(ctx):
...     return StepOutput(tables={"demo": pd.DataFrame({"n": [12]})}, readings={"demo": "twelve"})
>>> def broken(ctx):
...     raise ValueError("no data for this")
>>> steps = {"one": Step("one", "data", dict(en="One", nl="Een"), one),
...          "broken": Step("broken", "data", dict(en="Broken", nl="Kapot"), broken)}
>>> run = run_steps(steps, ReportContext(inputs=None), console=None)
>>> [(r.name, r.status) for r in run.results]
[('one', 'ok'), ('broken', 'failed')]
>>> run.results[1].error
'ValueError: no data for this'
>>> run.ok
False
"""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pandas as pd

from ..disclosure import (
    Audit,
    Protected,
    default_threshold,
    protect,
    protect_linked,
    visible_rows,
)
from ..labels import concept_text, text
from .inputs import DEFAULT_SEED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .inputs import Inputs

__all__ = [
    "CHAPTERS",
    "ReportContext",
    "ReportRun",
    "Step",
    "StepOutput",
    "StepResult",
    "run_steps",
]

#: Report sections (chapters), in order; headings in ``report_texts_<lang>.yaml`` ``chapters``.
CHAPTERS: tuple[str, ...] = ("data", "ch2", "ch3", "ch4", "ch5", "family")

Status = Literal["ok", "failed"]


@dataclass
class StepOutput:
    """What one step produced.

    Attributes
    ----------
    tables : dict
        Table name -> tidy DataFrame (unrounded, unsuppressed: the writer suppresses).
        Names are unique over the whole report and become ``tables/<name>.csv``.
    figures : dict
        Figure name -> matplotlib Figure (``figures/<name>.png`` and ``.svg``); None for one
        drawn in a worker process, whose bytes are already in ``rendered``.
    readings : dict
        Table or figure name -> one-line interpretation shown under it.
    captions : dict
        Table or figure name -> title shown above it (default: the name).
    rows_used : int, optional
        Prisoners (or professionals) used by the analysis.
    rows_excluded : dict
        Reason -> number of rows left out; with ``rows_used`` they add up to ``rows_input``.
    rows_input : int, optional
        Rows the step starts from (the prisoners read).
    rows_missing : dict
        Per-estimate item non-response, the largest over the step's estimates (each estimate
        leaves out its own rows; not part of the sum above).
    models : list of dict
        Per fitted model, ``{"outcome", "model", "reasons": [(reason, n), ...]}`` from
        ``("input_rows", N)`` via each exclusion to ``("used", n)``; the exclusions and
        ``used`` add up to ``N`` (written to the manifest).
    notes : list of str
        Extra remarks shown in the report (e.g. convergence messages).
    count_cols : dict
        Table name -> its count columns, for tables whose counts do not follow the naming
        convention of :mod:`reintegratie_stats.disclosure`.
    protected : dict
        Table name -> the table after disclosure control (filled by :func:`run_steps`).
    rendered : dict
        Figure name -> its (PNG, SVG) bytes (filled by :func:`run_steps`).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    readings: dict[str, str] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    rows_used: int | None = None
    rows_excluded: dict[str, int] = field(default_factory=dict)
    rows_input: int | None = None
    rows_missing: dict[str, int] = field(default_factory=dict)
    models: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    count_cols: dict[str, list[str]] = field(default_factory=dict)
    protected: dict[str, Protected] = field(default_factory=dict)
    rendered: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)


class Renders(Protocol):
    """What draws a section's figures in a worker process (:class:`~.spec.Section`)."""

    def render(self, ctx: ReportContext) -> dict[str, Any]: ...

    def rendered_key(self) -> str: ...


@dataclass
class ReportContext:
    """Everything a step may read: the inputs, the options and a cache shared by steps.

    :func:`~.report.build_report` resolves the options once and passes them down in here;
    the defaults are the single sources (:data:`~.inputs.DEFAULT_SEED`, the codebook's
    disclosure threshold). ``text``, ``label`` and ``visible`` are what readings use, so that
    a reading only quotes groups that pass the threshold, in the report's language.
    """

    inputs: Inputs | None
    backend: Literal["native", "lme4"] = "native"
    lang: Literal["en", "nl"] = "en"
    seed: int = DEFAULT_SEED
    threshold: int = field(default_factory=default_threshold)
    cache: dict[str, Any] = field(default_factory=dict)
    executor: Executor | None = None
    _render_keys: dict[str, str] = field(default_factory=dict, repr=False)

    def start(
        self,
        key: str,
        fn: Callable[..., Any],
        *args: Any,
        figures_of: Renders | None = None,
        **kwargs: Any,
    ) -> None:
        """Start ``fn(*args, **kwargs)`` in the background (a worker process, when the run
        has one); :meth:`cached` with the same ``key`` then waits for it. Without an executor
        nothing starts and the work is done on first use, as before.

        ``figures_of``, when given (a :class:`~.spec.Section`), draws its figures in the
        worker too, right after ``fn``, with the result cached under ``key`` in the worker's
        copy of the context (``figures_of.render(ctx)``: name -> PNG and SVG bytes, None for
        one that could not be drawn), so that the drawing overlaps with this process's work;
        :meth:`cached` puts them under ``figures_of.rendered_key()``.
        """
        if self.executor is None or key in self.cache:
            return
        if figures_of is None:
            self.cache[key] = self.executor.submit(_recording_warnings, fn, *args, **kwargs)
            return
        worker_ctx = replace(self, cache={}, executor=None)
        self.cache[key] = self.executor.submit(
            _recording_warnings, _compute_and_render, key, fn, args, kwargs, figures_of, worker_ctx
        )
        self._render_keys[key] = figures_of.rendered_key()

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` once per run (e.g. the derived prisoners frame shared by several steps).

        A result started in the background is awaited here, and the warnings it raised are
        raised again, so the step that uses it records them as its own.
        """
        if key not in self.cache:
            self.cache[key] = fn()
        value = self.cache[key]
        if isinstance(value, Future):
            value, caught = value.result()
            for category, message in caught:
                warnings.warn(message, category, stacklevel=2)
            if key in self._render_keys:
                value, self.cache[self._render_keys.pop(key)] = value
            self.cache[key] = value
        return value

    def text(self, key: str, **fields: Any) -> str:
        """The reading text ``key`` in the report's language, fields filled in."""
        return text("readings", key, self.lang, **fields)

    def label(self, group: str, key: Any) -> str:
        """A concept label for use in a sentence (see :func:`~reintegratie_stats.labels.concept_text`)."""
        return concept_text(group, key, self.lang)

    def visible(self, df: pd.DataFrame, count_cols: list[str] | None = None) -> pd.DataFrame:
        """The rows of ``df`` a reading may quote (every cell count at least the threshold)."""
        return visible_rows(df, self.threshold, count_cols)


@dataclass(frozen=True)
class Step:
    """A named step of the report: its section, its title in en/nl and its function.

    ``prefetch(ctx)``, when given, is called before the first step runs, to start long work
    the step will need in the background (:meth:`ReportContext.start`).
    """

    name: str
    chapter: str
    title: Mapping[str, str]
    fn: Callable[[ReportContext], StepOutput]
    prefetch: Callable[[ReportContext], None] | None = None


def _compute_and_render(
    key: str,
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict[str, Any],
    figures_of: Renders,
    ctx: ReportContext,
) -> tuple[Any, dict[str, Any]]:
    """``fn(*args, **kwargs)`` and the figures ``figures_of`` draws from it (see
    :meth:`ReportContext.start`)."""
    value = fn(*args, **kwargs)
    ctx.cache[key] = value
    return value, figures_of.render(ctx)


def _recording_warnings(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, list]:
    """``fn(...)`` and the warnings it raised, as (category, message) pairs (picklable)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(*args, **kwargs)
    return value, [(w.category, str(w.message)) for w in caught]


@dataclass
class StepResult:
    """Outcome of one step: status, reason when failed, wall time, output and warnings."""

    name: str
    chapter: str
    title: Mapping[str, str]
    status: Status
    wall_time_s: float
    output: StepOutput = field(default_factory=StepOutput)
    error: str | None = None
    traceback: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReportRun:
    """All step results of a run, in order, with the total wall time."""

    results: list[StepResult]
    wall_time_s: float
    out_dir: Path | None = None
    manifest: dict[str, Any] | None = None
    audit: Audit | None = None

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.results)

    @property
    def failed(self) -> list[StepResult]:
        return [r for r in self.results if r.status == "failed"]

    def to_frame(self) -> pd.DataFrame:
        """One row per step: step, chapter, status, wall_time_s, error."""
        return pd.DataFrame(
            [
                {
                    "step": r.name,
                    "chapter": r.chapter,
                    "status": r.status,
                    "wall_time_s": r.wall_time_s,
                    "error": r.error or "",
                }
                for r in self.results
            ]
        )


def _reason(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _check_output(out: object, seen: dict[str, set[str]], name: str) -> StepOutput:
    if not isinstance(out, StepOutput):
        raise TypeError(f"step {name!r} returned {type(out).__name__}, expected StepOutput")
    for kind, names in (("table", out.tables), ("figure", out.figures)):
        for key in names:
            if key in seen[kind]:
                raise ValueError(f"step {name!r}: {kind} name {key!r} is used by an earlier step")
    seen["table"].update(out.tables)
    seen["figure"].update(out.figures)
    for key, df in out.tables.items():
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"step {name!r}: table {key!r} is a {type(df).__name__}")
    return out


def _protect(out: StepOutput, threshold: int) -> None:
    """Disclosure control, once per table: everything written or shown comes from here."""
    out.protected = {
        key: protect(df, threshold, out.count_cols.get(key)) for key, df in out.tables.items()
    }


def _render(out: StepOutput) -> None:
    """PNG and SVG of each figure, right after its step: a figure that cannot be drawn fails
    nothing but itself (a warning of the step), and drawing overlaps with work running in the background."""
    from ..figures import FigureWarning
    from .writers import figure_bytes

    for key, fig in list(out.figures.items()):
        if key in out.rendered:  # drawn and rendered in the worker (Section.run)
            continue
        try:
            out.rendered[key] = figure_bytes(fig)
        except Exception as exc:  # a figure is never worth a step's tables
            warnings.warn(f"figure {key} not drawn: {exc}", FigureWarning, stacklevel=2)
            del out.figures[key]


def _execution_order(steps: Mapping[str, Step], ctx: ReportContext) -> list[Step]:
    """Report order, except that with background work the steps awaiting it run last, so
    the other steps (and their figures) fill the time the background work takes."""
    if ctx.executor is None:
        return list(steps.values())
    waiting = [s for s in steps.values() if s.prefetch is not None]
    return [s for s in steps.values() if s.prefetch is None] + waiting


def _refuse_missing_inputs(step: Step, ctx: ReportContext) -> None:
    """A step whose input variables are absent is refused, not run on less than it says."""
    from ..validate import MissingAnalysisInput

    missing = getattr(ctx.inputs, "missing_inputs", None) or {}
    if missing.get(step.name):
        raise MissingAnalysisInput("; ".join(missing[step.name]))


def run_steps(
    steps: Mapping[str, Step],
    ctx: ReportContext,
    *,
    only: list[str] | None = None,
    console: Any = "auto",
) -> ReportRun:
    """Run ``steps`` (all, or those named in ``only``) and collect their results.

    Parameters
    ----------
    steps : mapping
        Step name -> :class:`Step`, in report order.
    ctx : ReportContext
    only : list of str, optional
        Names of the steps to run; unknown names raise ``ValueError``.
    console : rich Console, ``"auto"`` or None
        Where progress goes (``"auto"``: a rich console on stderr; None: silent).

    Returns
    -------
    ReportRun
    """
    if only is not None:
        unknown = [s for s in only if s not in steps]
        if unknown:
            raise ValueError(f"unknown step(s) {unknown}; the report has {list(steps)}")
        steps = {k: v for k, v in steps.items() if k in only}
    if console == "auto":
        from rich.console import Console

        console = Console(stderr=True)
    seen: dict[str, set[str]] = {"table": set(), "figure": set()}
    t_all = time.perf_counter()
    n = len(steps)
    for step in steps.values():  # long work some steps need starts now, in the background
        if step.prefetch is not None:
            try:
                step.prefetch(ctx)
            except Exception:  # not started: the step computes it itself and reports any error
                pass
    by_name: dict[str, StepResult] = {}
    for i, step in enumerate(_execution_order(steps, ctx), start=1):
        label = f"[{i}/{n}] {step.name}"
        t0 = time.perf_counter()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _refuse_missing_inputs(step, ctx)
                if console is not None:
                    with console.status(f"{label} ...", spinner="dots"):
                        out = step.fn(ctx)
                else:
                    out = step.fn(ctx)
                out = _check_output(out, seen, step.name)
                _protect(out, ctx.threshold)
                _render(out)
            status: Status = "ok"
            err = tb = None
        except Exception as exc:  # each step is isolated: report the reason, run the others
            out = StepOutput()
            status, err, tb = "failed", _reason(exc), traceback.format_exc()
        dt = time.perf_counter() - t0
        msgs = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        by_name[step.name] = StepResult(
            step.name, step.chapter, step.title, status, dt, out, err, tb, msgs
        )
        if console is not None:
            if status == "ok":
                what = f"{len(out.tables)} tables, {len(out.figures)} figures"
                console.print(f"[green]✓[/green] {label} ({dt:.1f} s; {what})", highlight=False)
            else:
                console.print(f"[red]✗[/red] {label} ({dt:.1f} s): {err}", highlight=False)
    results = [by_name[name] for name in steps]  # report order
    audit = _protect_together(results, ctx.threshold, ctx.lang)
    return ReportRun(results, time.perf_counter() - t_all, audit=audit)


def _protect_together(results: list[StepResult], threshold: int, lang: str) -> Audit | None:
    """Secondary suppression over every table of the run (they describe one population, so a
    small cell of one table must not follow from the others), then the audit; each step's
    protected tables are replaced by the jointly protected ones.

    Readings and figures were made from the step's own data before the joint protection: a
    step whose tables gained withheld ("x") cells loses them (a reading or a bar could show
    what the table now withholds), and says so in a note."""
    raw = {k: df for r in results for k, df in r.output.tables.items()}
    if not raw:
        return None
    cols = {k: v for r in results for k, v in r.output.count_cols.items()}
    prot, audit = protect_linked(raw, threshold, cols)
    for r in results:
        out = r.output
        gained = [k for k in out.tables if prot[k].n_secondary > out.protected[k].n_secondary]
        out.protected = {k: prot[k] for k in out.tables}
        if gained:
            withheld = text("page", "reading_withheld", lang)
            out.readings = {k: withheld for k in out.readings}
            out.figures, out.rendered = {}, {}
            out.notes = [*out.notes, text("page", "step_withheld", lang, tables=", ".join(gained))]
    return audit
