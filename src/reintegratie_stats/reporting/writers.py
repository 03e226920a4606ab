"""Writing a report run: suppressed CSV tables, PNG/SVG figures and the manifest.

Every table goes through :func:`publish_table` (THE suppression function, then a fixed text
format) before it is written anywhere, so that the CSV files are byte-identical across runs
on the same data and no count under the threshold is ever written.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._suppress import suppress_small_cells

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .inputs import Inputs
    from .runner import ReportContext, ReportRun

__all__ = [
    "DEPENDENCIES",
    "EXTRA_COUNT_COLUMNS",
    "count_columns",
    "csv_text",
    "dependency_versions",
    "flatten",
    "format_cell",
    "mask_count",
    "publish_table",
    "r_versions",
    "save_figure",
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


def format_cell(v: Any) -> str:
    """A cell as text: floats with 6 significant digits (so that the last bits of a
    floating-point sum never change a file), integers as integers, missing as empty."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return ""
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        s = f"{f:.6g}"
        return "0" if s == "-0" else s
    return str(v)


#: Count columns outside the ``n``/``n_*``/``count*`` convention (model tables' ``nobs``).
EXTRA_COUNT_COLUMNS: tuple[str, ...] = ("nobs",)


def count_columns(df: pd.DataFrame, count_cols: list[str] | None = None) -> list[str]:
    """The count columns of a (flattened) table: ``count_cols`` when given, else the
    convention of the disclosure module (``n``, ``n_*``, ``count*``) plus ``nobs``."""
    if count_cols is not None:
        return list(count_cols)
    return [
        c
        for c in df.columns
        if c == "n" or str(c).startswith(("n_", "count")) or c in EXTRA_COUNT_COLUMNS
    ]


def publish_table(
    df: pd.DataFrame, threshold: int, count_cols: list[str] | None = None
) -> pd.DataFrame:
    """The table as it may leave the package: small cells suppressed, every cell text.

    Index levels are turned into columns first, so that nothing is hidden in the index.
    """
    flat = flatten(df)
    sup, _ = suppress_small_cells(
        flat, count_cols=count_columns(flat, count_cols), threshold=threshold
    )
    return sup.apply(lambda col: col.map(format_cell)).astype(object)


def flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Index levels that carry information become columns; column names become text."""
    flat = df.reset_index() if _has_meaningful_index(df) else df.reset_index(drop=True)
    flat.columns = [str(c) for c in flat.columns]
    return flat


def _has_meaningful_index(df: pd.DataFrame) -> bool:
    idx = df.index
    if isinstance(idx, pd.MultiIndex) or idx.name is not None:
        return True
    return not isinstance(idx, pd.RangeIndex) and not pd.api.types.is_integer_dtype(idx)


def csv_text(published: pd.DataFrame) -> str:
    """CSV text of a published table (``\\n`` line ends, no index)."""
    return published.to_csv(index=False, lineterminator="\n")


def write_tables(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    threshold: int,
    count_cols: dict[str, list[str]] | None = None,
) -> dict[str, Path]:
    """Write each table as ``folder/<name>.csv`` through :func:`publish_table`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in tables.items():
        pub = publish_table(df, threshold, (count_cols or {}).get(name))
        path = folder / f"{name}.csv"
        path.write_text(csv_text(pub), encoding="utf-8")
        paths[name] = path
    return paths


def save_figure(fig: Figure, folder: Path, name: str) -> tuple[Path, Path, bytes]:
    """Write ``name.png`` and ``name.svg`` (no date, fixed hash salt); return paths and PNG bytes."""
    import io

    import matplotlib as mpl

    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    png = buf.getvalue()
    png_path = folder / f"{name}.png"
    png_path.write_bytes(png)
    svg_path = folder / f"{name}.svg"
    with mpl.rc_context({"svg.hashsalt": "reintegratie-stats", "svg.fonttype": "path"}):
        fig.savefig(svg_path, format="svg", bbox_inches="tight", metadata={"Date": None})
    return png_path, svg_path, png


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


def mask_count(n: int | None, threshold: int) -> int | str | None:
    """A row count as it may be written: counts from 1 to threshold-1 become ``"<threshold"``.

    Zero stays zero (no row left out reveals nothing about a person).
    """
    if n is None:
        return None
    n = int(n)
    return f"<{threshold}" if 0 < n < threshold else n


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
                "rows_used": mask_count(r.output.rows_used, thr),
                "rows_excluded": {
                    k: mask_count(v, thr) for k, v in sorted(r.output.rows_excluded.items())
                },
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
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
