"""One command, one reproducible report: :func:`build_report`.

Resolves the options once (seed, threshold, backend, lang), reads the inputs
(:func:`~.inputs.load_inputs`: files + mapping, validated, or the synthetic twin), then
computes -> protects -> writes -> renders: runs every step of the report spec
(:data:`~.sections.STEPS`, each caught, timed and its tables protected once by the runner) and
writes to ``out``:

- ``report.html``: one self-contained page (figures as base64 PNG, inline CSS, no URL), with
  the publication tables at the head of each chapter and a print stylesheet (landscape A4,
  no scroll boxes: every row of every table is on paper);
- ``report.docx``: the publication tables and the figures for Word (extra ``word``:
  python-docx; left out without it);
- ``publication/<name>.csv``: each publication table as shown (report language, formatted
  cells), beside the tidy ``tables/*.csv``, which stay machine-readable;
- ``tables/<name>.csv``: every table, suppressed and with fixed number formatting, so that a
  re-run on the same data gives byte-identical files;
- ``figures/<name>.png`` and ``figures/<name>.svg``;
- ``manifest.json``: input hashes (or the twin's seed), versions, backend, wall time, rows used
  and excluded, status of each step.

Examples
--------
>>> run = build_report(out="/tmp/rs-report", steps=["data_overview"])  # doctest: +SKIP
>>> run.ok  # doctest: +SKIP
True
"""

from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from ..disclosure import resolve_threshold
from ..io import DataMapping
from ..labels import check_lang, text
from ..publication.tables import PubTable, publication_tables
from .html_report import render_page
from .inputs import DEFAULT_SEED, Inputs, load_inputs
from .output_folder import OutputFolder
from .runner import ReportContext, ReportRun, Step, run_steps
from .word import docx_available, docx_bytes
from .writers import write_file, write_manifest, write_tables

__all__ = ["WORKERS", "build_report", "default_out_dir", "write_report"]

#: Worker processes for work started in the background (chapter 5 with its figures, the
#: family models with their bootstraps, the Word file): one when the machine has a second
#: core. 0 computes everything in this process, in report order.
WORKERS: int = 1 if (os.cpu_count() or 1) >= 2 else 0


def default_out_dir(inputs: Inputs, root: str | Path = "reports") -> Path:
    """``reports/synthetic`` for the twin, else ``reports/<name of the data folder>``."""
    return Path(root) / inputs.name


def _clear_outputs(out: Path) -> None:
    """Remove the files an earlier run wrote here (those its manifest lists, never a user's)."""
    from .output_folder import files_of_manifest

    for name in files_of_manifest(out):
        p = (out / name).resolve()
        if p.is_relative_to(out.resolve()):
            p.unlink(missing_ok=True)


def write_report(
    run: ReportRun, ctx: ReportContext, inputs: Inputs, out: Path, total_wall_time_s: float
) -> dict[str, Any]:
    """Write the protected tables, the figures, ``report.html`` and ``manifest.json`` of
    ``run`` into ``out`` (every file through :func:`~.writers.write_file`)."""
    out.mkdir(parents=True, exist_ok=True)
    _clear_outputs(out)
    files: dict[str, list[str]] = {"tables": [], "figures": []}
    pngs: dict[str, bytes] = {}
    for r in run.results:
        written = write_tables(r.output.protected, out / "tables")
        files["tables"] += [f"tables/{p.name}" for p in written.values()]
        for name, (png, svg) in r.output.rendered.items():
            for suffix, data in (("png", png), ("svg", svg)):
                write_file(out / "figures" / f"{name}.{suffix}", data)
                files["figures"].append(f"figures/{name}.{suffix}")
            pngs[name] = png
    pubs = _publication(run, ctx)
    files["publication"] = []
    for t in pubs:  # the thesis-shaped tables, in the report language (tidy CSVs unchanged)
        write_file(out / "publication" / f"{t.name}.csv", t.to_csv())
        files["publication"].append(f"publication/{t.name}.csv")
    word: bytes | Future | None = None
    if docx_available():
        figs = {
            name: (r.chapter, r.output.captions.get(name, name), pngs[name])
            for r in run.results
            for name in r.output.rendered
        }
        kwargs = dict(lang=ctx.lang, title=text("page", "title", ctx.lang), source=inputs.source)
        if ctx.executor is not None:  # idle by now: the Word file there, the page here
            word = ctx.executor.submit(docx_bytes, pubs, figs, **kwargs)
        else:
            word = docx_bytes(pubs, figs, **kwargs)
    write_file(out / "report.html", render_page(run, ctx, inputs, pngs, pubs))
    files["report"] = ["report.html"]
    if word is not None:
        write_file(out / "report.docx", word.result() if isinstance(word, Future) else word)
        files["report"].append("report.docx")
    return write_manifest(out / "manifest.json", run, ctx, inputs, files, total_wall_time_s)


def _publication(run: ReportRun, ctx: ReportContext) -> list[PubTable]:
    """The publication tables of the run, from its protected tables (never the raw ones).

    A failure here costs the publication tables only, with a warning; the report is written.
    """
    protected = {k: v for r in run.results for k, v in r.output.protected.items()}
    try:
        return publication_tables(protected, ctx.lang)
    except Exception as exc:  # the tidy tables and the page are still worth writing
        warnings.warn(f"publication tables not made: {exc}", RuntimeWarning, stacklevel=2)
        return []


def _executor(stack: ExitStack, backend: str) -> Executor | None:
    """A forked worker process for background sections (native backend only: R through rpy2
    is not started in a forked child)."""
    if WORKERS < 1 or backend != "native":
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")  # the worker inherits the imports and the data
    return stack.enter_context(ProcessPoolExecutor(max_workers=WORKERS, mp_context=ctx))


def build_report(
    data_dir: str | Path | None = None,
    mapping: str | Path | DataMapping | None = None,
    out: str | Path | None = None,
    *,
    backend: Literal["native", "lme4"] = "native",
    lang: Literal["en", "nl"] = "en",
    seed: int = DEFAULT_SEED,
    threshold: int | None = None,
    steps: list[str] | None = None,
    registry: dict[str, Step] | None = None,
    console: Any = "auto",
    read_options: dict[str, Any] | None = None,
) -> ReportRun:
    """Run every analysis and write the report.

    Parameters
    ----------
    data_dir : path, optional
        Folder with the research team's files (see :func:`~.inputs.load_inputs`); None: the
        synthetic twin of ``seed``.
    mapping : path or DataMapping, optional
        The research team's names and codes.
    out : path, optional
        Output folder; default ``reports/<name>/`` (``reports/synthetic/`` for the twin).
    backend : {"native", "lme4"}
        GLMM backend for the multilevel models (lme4 through R needs the ``lme4`` extra).
    lang : {"en", "nl"}
        Language of the labels and headings in ``report.html``.
    seed : int
        Seed of the synthetic twin and of everything that resamples: the parametric-bootstrap
        block tests of chapter 4 and the family models, the Monte Carlo exact tests of
        chapter 3 (where a cell is small) and chapter 5's multiple imputation (when asked
        for); default :data:`~.inputs.DEFAULT_SEED`. ``tests/test_reporting_sections.py``
        checks that it arrives.
    threshold : int, optional
        Disclosure threshold; default the codebook's ``disclosure_threshold``
        (``data_schema/concepts.yaml``).
    steps : list of str, optional
        Run only these steps (all by default).
    registry : dict, optional
        Step registry (default :data:`~.sections.STEPS`, the report spec).
    console : rich Console, ``"auto"`` or None
        Progress output.
    read_options : dict, optional
        ``sep``, ``decimal``, ``encoding`` for reading the files (default: detected).

    Returns
    -------
    ReportRun
        Per-step status, reason, wall time and output; ``run.ok`` is False if a step failed.

    Raises
    ------
    UnusableInputError, InvalidDataError
        From :func:`~.inputs.load_inputs`, before anything is written.
    """
    if backend not in ("native", "lme4"):
        raise ValueError(f"backend must be 'native' or 'lme4', got {backend!r}")
    check_lang(lang)
    thr = resolve_threshold(threshold)
    if thr < 1:
        raise ValueError(f"threshold must be at least 1, got {thr}")
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    # The report's matrices (at most a few thousand rows by a few dozen columns) are far too
    # small for threaded BLAS to pay off, and on a shared machine OpenBLAS's spinning threads
    # make one SVD hundreds of times slower (benchmarks/README.md): one BLAS thread here.
    with ExitStack() as stack:
        stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
        inputs = load_inputs(data_dir, mapping, seed, read_options=read_options)
        if registry is None:
            from .sections import STEPS as registry
        ctx = ReportContext(
            inputs=inputs,
            backend=backend,
            lang=lang,
            seed=seed,
            threshold=thr,
            executor=_executor(stack, backend),
        )
        out_dir = Path(out) if out is not None else default_out_dir(inputs)
        # locked against a second run; built aside and moved into place only when complete
        with OutputFolder(out_dir) as folder:
            run = run_steps(registry, ctx, only=steps, console=console)  # computes and protects
            manifest = write_report(run, ctx, inputs, folder.tmp, time.perf_counter() - t0)
            folder.commit()
    run.out_dir, run.manifest = out_dir, manifest
    return run
