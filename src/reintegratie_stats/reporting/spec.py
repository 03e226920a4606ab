"""The shape of the declarative report spec: :class:`Output` records grouped by :class:`Section`.

Every published table or figure is one :class:`Output` record: its name (written once, in
:mod:`.sections`), the call that computes it from its section's results, its caption key (in
``report_texts_<lang>.yaml``, by default the name), its reading, an optional figure drawn from
the table, and its column kinds (columns named like counts that are not counts of people). A
reading made from the table alone (with the threshold and the language) can also be made
outside the report, by :func:`read_output` (the notebooks' :mod:`.readings`); one that needs
its section's results or the report's inputs says so (``reading_from="section"``). A
:class:`Section` computes its results once (one analysis call) and lists its outputs;
:meth:`Section.step` turns it into a runner :class:`~.runner.Step`. The runner then computes ->
protects -> writes -> renders; nothing here formats or suppresses.

Examples
--------
>>> import pandas as pd
>>> sec = Section(
...     "demo", "data",
...     compute=lambda ctx: {"t": pd.DataFrame({"n": [40, 3], "rate": [0.5, 0.2]})},
...     outputs=(table("demo_rates", lambda r, ctx: r["t"],
...                    reading=lambda t, r, ctx: f"{len(ctx.visible(t))} visible row(s)"),),
... )
>>> from .runner import ReportContext
>>> out = sec.run(ReportContext(inputs=None, threshold=10))
>>> list(out.tables), out.readings["demo_rates"], out.rows_used
(['demo_rates'], '1 visible row(s)', 40)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..disclosure import count_columns
from ..labels import LANGS, text
from .runner import ReportContext, Step, StepOutput
from .tables import format_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Output",
    "Section",
    "figure",
    "balance",
    "generic_reading",
    "missing_per_estimate",
    "models_from_accounting",
    "pct",
    "read_output",
    "rows_from_tables",
    "rows_of_models",
    "steps_of",
    "table",
]

#: compute(results, ctx) -> DataFrame / Figure, or None when the output does not apply.
Compute = Callable[[Any, ReportContext], Any]
#: reading(value, results, ctx) -> the fields of the output's own text ``readings.<name>``
#: (a dict), another text (a str), or None for :func:`generic_reading`.
Reading = Callable[[Any, Any, ReportContext], "dict[str, Any] | str | None"]
#: What a reading is made from: the output's value alone (with the context's threshold and
#: language), or also its section's results or the report's inputs.
ReadingFrom = Literal["table", "section"]


@dataclass(frozen=True)
class Output:
    """One published output of the report (see the module docstring)."""

    name: str
    kind: Literal["table", "figure"]
    compute: Compute
    reading: Reading | None = None
    caption: str | None = None
    figure: Callable[[pd.DataFrame, ReportContext], Figure | None] | None = None
    not_counts: tuple[str, ...] = ()
    reading_from: ReadingFrom = "table"

    @property
    def caption_key(self) -> str:
        return self.caption or self.name


def table(
    name: str,
    compute: Compute,
    reading: Reading | None = None,
    *,
    caption: str | None = None,
    figure: Callable[[pd.DataFrame, ReportContext], Figure | None] | None = None,
    not_counts: tuple[str, ...] = (),
    reading_from: ReadingFrom = "table",
) -> Output:
    """A table record; ``figure(table, ctx)`` draws a figure of the same name from it.

    ``not_counts``: columns named like counts (``n_items``) that do not count people, so the
    disclosure rules leave them alone. ``reading_from="section"``: the reading uses the
    section's results or the report's inputs, not only the table.
    """
    return Output(name, "table", compute, reading, caption, figure, tuple(not_counts), reading_from)


def figure(
    name: str,
    compute: Compute,
    reading: Reading | None = None,
    *,
    caption: str | None = None,
    reading_from: ReadingFrom = "table",
) -> Output:
    """A figure record drawn from the section's results.

    Its reading is made from the section's results (``reading(None, results, ctx)`` when the
    figure was drawn in a worker process, :meth:`Section.render`), not from the drawing.
    """
    return Output(name, "figure", compute, reading, caption, reading_from=reading_from)


def pct(x: float | None) -> str:
    """A share as a whole percentage for a reading (``"–"`` when missing), by the formatter.

    >>> pct(0.4412), pct(float("nan"))
    ('44%', '–')
    """
    if x is None or not np.isfinite(x):
        return "–"
    return format_value("share", float(x), 0, scale=100.0) + "%"


def generic_reading(df: pd.DataFrame, ctx: ReportContext) -> str:
    """A one-line reading for a model table: how many estimates differ from zero (groups
    below the threshold left out)."""
    vis = ctx.visible(df)
    if {"estimate", "p_value"} <= set(vis.columns):
        base = vis[vis["term"] != "Intercept"] if "term" in vis.columns else vis
        k = int((pd.to_numeric(base["p_value"], errors="coerce") < 0.05).sum())
        return ctx.text("generic_estimates", k=k, n=len(base))
    return ctx.text("generic_rows", n=len(df))


def read_output(o: Output, value: Any, results: Any, ctx: ReportContext) -> str:
    """The report's reading of output ``o`` whose value (table or figure) is ``value``.

    ``results`` are its section's results (read only by a reading with
    ``reading_from="section"``). The reading's fields fill its own text ``readings.<name>``
    in ``ctx.lang``; a table without a reading of its own gets :func:`generic_reading`.

    >>> o = table("demo", lambda r, ctx: None)
    >>> read_output(o, pd.DataFrame({"n": [40, 3]}), None, ReportContext(inputs=None))
    '2 rows.'
    """
    reading = o.reading(value, results, ctx) if o.reading is not None else None
    if isinstance(reading, dict):  # the fields of this output's own reading text
        reading = text("readings", o.name, ctx.lang, **reading)
    if reading is None and o.kind == "table":
        reading = generic_reading(value, ctx)
    return reading or ""


def _max_col(frames: tuple[pd.DataFrame, ...], col: str) -> int | None:
    vals = [pd.to_numeric(f[col], errors="coerce").max() for f in frames if col in f.columns]
    vals = [int(v) for v in vals if pd.notna(v)]
    return max(vals) if vals else None


def _rows(*frames: pd.DataFrame) -> tuple[int | None, dict[str, int]]:
    """Rows used and excluded, from the conventions of the analysis modules.

    ``attrs["n_rows"]`` and ``attrs["n_excluded"]`` (rows outside every group, by reason);
    otherwise the largest ``n`` of the tables. Per-estimate exclusions (``n_missing``,
    ``n_excluded`` columns) are the largest over the estimates, since each estimate leaves
    out its own rows: :func:`missing_per_estimate`, kept apart from the sum.
    """
    n_rows = None
    excluded: dict[str, int] = {}
    for f in frames:
        a = getattr(f, "attrs", {}) or {}
        if "n_rows" in a:
            n_rows = max(n_rows or 0, int(a["n_rows"]))
        for k, v in (a.get("n_excluded") or {}).items():
            excluded[str(k)] = max(excluded.get(str(k), 0), int(v))
    used = None if n_rows is None else n_rows - sum(excluded.values())
    if used is None:
        used = _max_col(frames, "n")
    return used, excluded


def missing_per_estimate(tables: list[pd.DataFrame]) -> dict[str, int]:
    """The largest per-estimate exclusions of ``tables`` (``n_missing``, ``n_excluded``)."""
    out = {}
    for col, reason in (
        ("n_missing", "missing answer (largest over estimates)"),
        ("n_excluded", "excluded by the model (largest over models)"),
    ):
        m = _max_col(tuple(tables), col)
        if m:
            out[reason] = m
    return out


#: The rows a step did not account for by reason: those not in the estimate with the most rows.
NOT_IN_LARGEST = "not in the estimate with the most rows (item non-response)"


def balance(
    n_input: int | None, used: int | None, excluded: dict[str, int]
) -> tuple[int | None, dict[str, int]]:
    """``(used, excluded)`` completed so that they add up to ``n_input``.

    A step whose tables only say how many rows their largest estimate used leaves the rest
    under :data:`NOT_IN_LARGEST`; more rows used than read is an error.

    >>> balance(100, 90, {"no group": 4})
    (90, {'no group': 4, 'not in the estimate with the most rows (item non-response)': 6})
    """
    if n_input is None or used is None:
        return used, excluded
    gap = n_input - used - sum(excluded.values())
    if gap < 0:
        raise ValueError(
            f"row accounting: {used} used + {sum(excluded.values())} excluded > {n_input} read"
        )
    return used, ({**excluded, NOT_IN_LARGEST: gap} if gap else dict(excluded))


def models_from_accounting(acc: pd.DataFrame | None) -> list[dict[str, Any]]:
    """:attr:`~.runner.StepOutput.models` from an accounting frame (outcome, model, reason,
    n; see ``multilevel.ModelSet.accounting``), in its order."""
    if acc is None or not len(acc):
        return []
    out: list[dict[str, Any]] = []
    for (o, m), g in acc.groupby(["outcome", "model"], sort=False):
        out.append(
            {
                "outcome": str(o),
                "model": str(m),
                "reasons": [(str(r), int(n)) for r, n in zip(g["reason"], g["n"], strict=True)],
            }
        )
    return out


def rows_of_models(models: list[dict[str, Any]]) -> tuple[int | None, dict[str, int]]:
    """A step's rows from its models: the exclusions every model shares (the step's sample,
    e.g. "no minor children") are the step's; what each model loses on top is its own.

    >>> m = [{"reasons": [("input_rows", 9), ("not asked", 3), ("missing y", 1), ("used", 5)]},
    ...      {"reasons": [("input_rows", 9), ("not asked", 3), ("used", 6)]}]
    >>> rows_of_models(m)
    (6, {'not asked': 3})
    """
    if not models:
        return None, {}
    lists = [[r for r in m["reasons"] if r[0] not in ("input_rows", "used")] for m in models]
    common = []
    for i, r in enumerate(lists[0]):
        if all(len(x) > i and x[i] == r for x in lists):
            common.append(r)
        else:
            break
    n_input = dict(models[0]["reasons"])["input_rows"]
    excluded = dict(common)
    return n_input - sum(excluded.values()), excluded


def rows_from_tables(tables: list[pd.DataFrame]) -> tuple[int | None, dict[str, int]]:
    """Default row accounting: rows used from the first table, exclusions over all tables."""
    if not tables:
        return None, {}
    return _rows(tables[0])[0], _rows(*tables)[1]


def _rows_read(ctx: ReportContext) -> int | None:
    """The prisoners read: the population every step's row account starts from."""
    p = getattr(ctx.inputs, "prisoners", None)
    return len(p) if isinstance(p, pd.DataFrame) else None


def _caption(o: Output, lang: str) -> str:
    try:
        return text("captions", o.caption_key, lang)
    except KeyError:  # a spec outside the report's texts (tests check the report's are all there)
        return o.name


@dataclass(frozen=True)
class Section:
    """A step of the report: one analysis call and the outputs made from its results.

    Parameters
    ----------
    name : str
        Step name (``--step``); its title is ``steps.<name>`` in the texts.
    chapter : str
        One of :data:`~.runner.CHAPTERS`.
    compute : callable
        ``compute(ctx) -> results`` (any object; usually a dict of tidy frames).
    outputs : tuple of Output
        In report order.
    rows : callable, optional
        ``rows(results, tables) -> (rows_used, rows_excluded)``; default
        :func:`rows_from_tables`, or :func:`rows_of_models` when ``models`` is given. Used
        and excluded are completed to the prisoners read (:func:`balance`).
    models : callable, optional
        ``models(results) -> list of dict``: the row account of every fitted model
        (:attr:`~.runner.StepOutput.models`; see :func:`models_from_accounting`).
    notes : callable, optional
        ``notes(results, ctx) -> list of str`` (e.g. convergence messages).
    prefetch : callable, optional
        ``prefetch(ctx)``: start the section's long analysis in the background before the
        report's first section runs (:meth:`~.runner.ReportContext.start`).
    """

    name: str
    chapter: str
    compute: Callable[[ReportContext], Any]
    outputs: tuple[Output, ...]
    rows: Callable[[Any, list[pd.DataFrame]], tuple[int | None, dict[str, int]]] | None = None
    models: Callable[[Any], list[dict[str, Any]]] | None = None
    notes: Callable[[Any, ReportContext], list[str]] | None = None
    prefetch: Callable[[ReportContext], None] | None = None

    def __post_init__(self) -> None:
        _SECTIONS[(self.name, id(self))] = self

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        # Sent to the worker process as a reference: the outputs hold lambdas, which do not
        # pickle, and the forked worker has its own copy of every section made before it
        # started, at the same address (two sections may share a name, e.g. in tests).
        return _section_made, (self.name, id(self))

    def rendered_key(self) -> str:
        """The cache key of the figures a worker drew for this section (:meth:`render`,
        started by :meth:`~.runner.ReportContext.start` with ``figures_of=`` this section)."""
        return f"rendered:{self.name}"

    def render(self, ctx: ReportContext) -> dict[str, tuple[bytes, bytes] | None]:
        """Every figure of this section, drawn and rendered (PNG, SVG): what a worker process
        does once the analysis the section computes from is in ``ctx``'s cache
        (:meth:`~.runner.ReportContext.start`); None for a figure that could not be drawn
        (with its warning)."""
        from .writers import figure_bytes

        res = self.compute(ctx)
        out: dict[str, tuple[bytes, bytes] | None] = {}
        for o in self.outputs:
            if o.kind == "table" and o.figure is None:
                continue
            value = o.compute(res, ctx)
            if value is None:
                continue
            fig = _draw(o.name, o.figure, value, ctx) if o.kind == "table" else value
            out[o.name] = None if fig is None else _draw(o.name, figure_bytes, fig)
        return out

    def run(self, ctx: ReportContext) -> StepOutput:
        """Compute the results once, then every output, its reading and its caption.

        Figures that a worker already drew (:meth:`render`) are taken as rendered bytes.
        """
        res = self.compute(ctx)
        pre = ctx.cache.get(self.rendered_key(), {})
        out = StepOutput()
        for o in self.outputs:
            if o.kind == "figure" and o.name in pre:
                value = pre[o.name]
                if value is None:
                    continue  # could not be drawn (the worker's warning says why)
                out.figures[o.name], out.rendered[o.name] = None, value
                out.readings[o.name] = read_output(o, None, res, ctx)
                out.captions[o.name] = _caption(o, ctx.lang)
                continue
            value = o.compute(res, ctx)
            if value is None:
                continue  # the output does not apply to these data (e.g. a model not fitted)
            if o.kind == "table":
                out.tables[o.name] = value
                if o.not_counts:
                    out.count_cols[o.name] = [
                        c for c in count_columns(value) if c not in o.not_counts
                    ]
                if o.figure is not None and o.name in pre:
                    if pre[o.name] is not None:
                        out.figures[o.name], out.rendered[o.name] = None, pre[o.name]
                elif o.figure is not None:
                    fig = _draw(o.name, o.figure, value, ctx)
                    if fig is not None:
                        out.figures[o.name] = fig
            else:
                out.figures[o.name] = value
            out.readings[o.name] = read_output(o, value, res, ctx)
            out.captions[o.name] = _caption(o, ctx.lang)
        tables = list(out.tables.values())
        if self.models is not None:
            out.models = list(self.models(res))
        if self.rows is not None:
            used, excluded = self.rows(res, tables)
        elif out.models:
            used, excluded = rows_of_models(out.models)
        else:
            used, excluded = rows_from_tables(tables)
        out.rows_input = _rows_read(ctx)
        out.rows_used, out.rows_excluded = balance(out.rows_input, used, excluded)
        out.rows_missing = missing_per_estimate(tables)
        if self.notes is not None:
            out.notes = list(self.notes(res, ctx))
        return out

    def step(self) -> Step:
        """This section as a runner step (title in every language of the texts)."""
        title = {lang: text("steps", self.name, lang) for lang in LANGS}
        return Step(self.name, self.chapter, title, self.run, self.prefetch)


#: Every :class:`Section` made in this process, by name and address (:func:`_section_made`).
_SECTIONS: dict[tuple[str, int], Section] = {}


def _section_made(name: str, address: int) -> Section:
    try:
        return _SECTIONS[(name, address)]
    except KeyError:
        raise LookupError(
            f"section {name!r} was made after the worker process started: a section that "
            "runs in the background must exist before the report starts (module level)"
        ) from None


def _draw(name: str, make: Callable[..., Any], *args: Any) -> Any:
    """A figure, or None with a :class:`~reintegratie_stats.figures.FigureWarning`: a figure
    that cannot be drawn (an edge case in the data, a matplotlib refusal) never takes the
    tables of its step down with it."""
    from ..figures import FigureWarning

    try:
        return make(*args)
    except Exception as exc:  # a figure is never worth a step's tables
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        warnings.warn(f"figure {name} not drawn: {reason}", FigureWarning, stacklevel=2)
        return None


def steps_of(sections: tuple[Section, ...]) -> dict[str, Step]:
    """The step registry of ``sections`` (report order = their order); names must be unique."""
    steps: dict[str, Step] = {}
    seen: set[str] = set()
    for sec in sections:
        if sec.name in steps:
            raise ValueError(f"section {sec.name!r} is listed twice")
        for o in sec.outputs:
            key = f"{o.kind}:{o.name}"
            if key in seen:
                raise ValueError(f"{o.kind} {o.name!r} is listed twice in the report spec")
            seen.add(key)
        steps[sec.name] = sec.step()
    return steps
