"""Writing a report run: protected CSV tables, PNG/SVG figures, the page and the manifest.

Every file goes through :func:`write_file`. Tables arrive already protected by the runner
(:func:`reintegratie_stats.disclosure.protect`) and are written in the exact CSV text of
:func:`~.tables.to_csv`, so the CSV files are byte-identical across runs on the same data and
no count under the threshold is ever written.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..disclosure import Protected, mask_count
from .tables import to_csv

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .inputs import Inputs
    from .runner import ReportContext, ReportRun

__all__ = [
    "DEPENDENCIES",
    "dependency_versions",
    "figure_bytes",
    "r_versions",
    "save_figure",
    "write_file",
    "write_manifest",
    "write_tables",
]

#: Packages whose versions the manifest records.
DEPENDENCIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "linearmodels",
    "matplotlib",
    "pyreadstat",
    "pyarrow",
    "pyyaml",
    "typer",
    "rich",
)


def write_file(path: Path, data: str | bytes) -> Path:
    """THE one place where the report writes a file into its output folder.

    Text is written as UTF-8. Every table, figure, page and manifest goes through here, so that
    a policy for the output folder (e.g. atomic writes) has exactly one place to live.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def write_tables(tables: dict[str, Protected], folder: Path) -> dict[str, Path]:
    """Write each protected table as ``folder/<name>.csv`` (:func:`~.tables.to_csv`)."""
    return {name: write_file(folder / f"{name}.csv", to_csv(p)) for name, p in tables.items()}


def figure_bytes(fig: Figure) -> tuple[bytes, bytes]:
    """PNG and SVG of ``fig``, reproducible (no date, fixed hash salt, text as paths).

    The tight bounding box is computed once and used for both formats, and each format is
    rendered once (``bbox_inches="tight"`` would draw the figure twice per format).
    """
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the backend is chosen here, where figures are saved
    with mpl.rc_context({"svg.hashsalt": "reintegratie-stats", "svg.fonttype": "path"}):
        bbox = fig.get_tightbbox(canvas.get_renderer()).padded(mpl.rcParams["savefig.pad_inches"])
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=100, bbox_inches=bbox, metadata={"Software": None})
        fig.savefig(svg, format="svg", bbox_inches=bbox, metadata={"Date": None})
    return png.getvalue(), svg.getvalue()


def save_figure(fig: Figure, folder: Path, name: str) -> tuple[Path, Path, bytes]:
    """Write ``name.png`` and ``name.svg`` (:func:`figure_bytes`); return paths and PNG bytes."""
    png, svg = figure_bytes(fig)
    return write_file(folder / f"{name}.png", png), write_file(folder / f"{name}.svg", svg), png


def dependency_versions() -> dict[str, str | None]:
    """Installed version of each package in :data:`DEPENDENCIES` (None when absent)."""
    out: dict[str, str | None] = {}
    for pkg in DEPENDENCIES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def r_versions() -> dict[str, str | None]:
    """R and lme4 versions from ``Rscript`` (None values when R is not available)."""
    code = 'cat(R.version.string, "\\n", as.character(packageVersion("lme4")), sep="")'
    try:
        res = subprocess.run(
            ["Rscript", "-e", code], capture_output=True, text=True, timeout=60, check=True
        )
        r, lme4 = (res.stdout.strip().splitlines() + [None, None])[:2]
        return {"R": r, "lme4": lme4}
    except (OSError, subprocess.SubprocessError):
        return {"R": None, "lme4": None}


def _model_rows(m: dict[str, Any], thr: int) -> dict[str, Any]:
    """One model's row account for the manifest: read, used and excluded (in order)."""
    reasons = dict(m["reasons"])
    return {
        "outcome": m["outcome"],
        "model": m["model"],
        "rows_input": mask_count(reasons.get("input_rows"), thr),
        "rows_used": mask_count(reasons.get("used"), thr),
        "rows_excluded": {
            k: mask_count(v, thr) for k, v in m["reasons"] if k not in ("input_rows", "used")
        },
    }


def write_manifest(
    path: Path,
    run: ReportRun,
    ctx: ReportContext,
    inputs: Inputs,
    files: dict[str, list[str]],
    total_wall_time_s: float,
) -> dict[str, Any]:
    """Write ``manifest.json``: inputs and their hashes, versions, options, per-step record."""
    from .. import __version__

    thr = ctx.threshold
    if inputs.synthetic:
        input_rec: dict[str, Any] = {"kind": "synthetic", "description": inputs.source}
    else:
        input_rec = {
            "kind": "files",
            "folder": inputs.name,
            "files": [
                {
                    "table": f.table,
                    "file": f.path,
                    "sha256": f.sha256,
                    "rows": mask_count(f.n_rows, thr),
                    "conversions": f.conversions,
                }
                for f in inputs.files
            ],
            "mapping": None
            if inputs.mapping is None
            else {"file": inputs.mapping.path, "sha256": inputs.mapping.sha256},
        }
    steps = []
    for r in run.results:
        steps.append(
            {
                "name": r.name,
                "chapter": r.chapter,
                "status": r.status,
                "error": r.error,
                "wall_time_s": round(r.wall_time_s, 3),
                "rows_input": mask_count(r.output.rows_input, thr),
                "rows_used": mask_count(r.output.rows_used, thr),
                "rows_excluded": {
                    k: mask_count(v, thr) for k, v in sorted(r.output.rows_excluded.items())
                },
                "rows_missing_per_estimate": {
                    k: mask_count(v, thr) for k, v in sorted(r.output.rows_missing.items())
                },
                "models": [_model_rows(m, thr) for m in r.output.models],
                "tables": sorted(r.output.tables),
                "figures": sorted(r.output.figures),
                "warnings": r.warnings,
            }
        )
    manifest = {
        "package": "reintegratie-stats",
        "version": __version__,
        "generated_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "input": input_rec,
        "seed": ctx.seed,
        "backend": ctx.backend,
        "lang": ctx.lang,
        "disclosure_threshold": thr,
        "disclosure_audit": run.audit.record() if run.audit is not None else None,
        "categories_collapsed": ctx.cache.get("categories_collapsed", {}),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": dependency_versions(),
        "r": r_versions() if ctx.backend == "lme4" else None,
        "status": "ok" if run.ok else "failed",
        "n_steps_failed": len(run.failed),
        "wall_time_s": {"steps": round(run.wall_time_s, 3), "total": round(total_wall_time_s, 3)},
        "steps": steps,
        "files": files,
    }
    write_file(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest
