"""The three input tables of a report: the research team's files or the synthetic twin.

:func:`load_inputs` is the one entry point used by the ``report`` command and by every
notebook, so that a notebook pointed at a data folder sees exactly what the report sees.

Examples
--------
>>> from reintegratie_stats.reporting import load_inputs
>>> inputs = load_inputs(seed=2019)  # doctest: +SKIP
>>> inputs.source  # doctest: +SKIP
'synthetic twin seed 2019'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import FORMATS, DataMapping, UnusableInputError, load_mapping, read_table
from ..labels import result_columns
from ..schema import TABLES, load_codebook
from ..validate import ValidationReport, missing_analysis_inputs, validate

__all__ = [
    "DEFAULT_SEED",
    "FILE_STEMS",
    "InputFile",
    "Inputs",
    "InvalidDataError",
    "find_table_files",
    "load_inputs",
    "sha256_file",
]

#: Seed of the default synthetic twin (the DPVS wave of 2019).
DEFAULT_SEED = 2019

#: File names (without suffix) recognised for each table in a data folder: the canonical
#: table name or the Dutch name the research team uses (``result_columns.yaml`` file_stems).
FILE_STEMS: dict[str, tuple[str, ...]] = {
    table: tuple(stems) for table, stems in result_columns()["file_stems"].items()
}
#: Tables a data folder must hold; the others are optional (steps needing them say so).
REQUIRED_TABLES: tuple[str, ...] = ("prisoners",)


class InvalidDataError(ValueError):
    """The input files were read but break codebook rules; ``reports`` holds every problem."""

    def __init__(self, reports: dict[str, ValidationReport]):
        self.reports = reports
        bad = [r for r in reports.values() if not r.valid]
        super().__init__("; ".join(r.summary_line() for r in bad))

    def to_summary(self, lang: str = "en") -> str:
        """Every problem of every invalid table (the validator's text report, in ``lang``)."""
        return "\n".join(
            r.with_lang(lang).to_summary() for r in self.reports.values() if not r.valid
        )


@dataclass(frozen=True)
class InputFile:
    """One file read: its table, path, format and SHA-256 hash."""

    table: str
    path: str
    sha256: str
    n_rows: int
    conversions: str = ""


@dataclass
class Inputs:
    """The canonical tables of one report run and where they came from.

    ``institutions`` and ``professionals`` may be ``None`` when a data folder lacks them.
    ``source`` is ``"synthetic twin seed N"`` or the data folder; ``files`` lists every file
    read with its hash (empty for the twin); ``validation`` holds the validation report of
    each table.
    """

    prisoners: pd.DataFrame
    institutions: pd.DataFrame | None
    professionals: pd.DataFrame | None
    source: str
    name: str
    seed: int | None = None
    files: list[InputFile] = field(default_factory=list)
    mapping: InputFile | None = None
    validation: dict[str, ValidationReport] = field(default_factory=dict)
    truth: dict[str, Any] | None = None
    #: step -> why its inputs are missing (see validate.missing_analysis_inputs)
    missing_inputs: dict[str, list[str]] = field(default_factory=dict)
    #: table -> the conversion log of reading its file (empty for the twin)
    logs: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name``; a clear error when the data folder did not provide it."""
        df = getattr(self, name)
        if df is None:
            stems = ", ".join(FILE_STEMS[name])
            raise ValueError(
                f"the input has no {name} table (a file named {stems} with a supported suffix)"
            )
        return df

    @property
    def synthetic(self) -> bool:
        return not self.files


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def find_table_files(data_dir: str | Path) -> dict[str, Path]:
    """The file of each table in ``data_dir`` (by :data:`FILE_STEMS` and a supported suffix).

    Raises
    ------
    UnusableInputError
        The folder does not exist, a required table has no file, or a table has two files.
    """
    d = Path(data_dir)
    if not d.is_dir():
        raise UnusableInputError(f"data folder not found: {d}")
    found: dict[str, Path] = {}
    for table in TABLES:
        hits = sorted(
            p
            for p in d.iterdir()
            if p.is_file() and p.suffix.lower() in FORMATS and p.stem.lower() in FILE_STEMS[table]
        )
        if len(hits) > 1:
            names = ", ".join(p.name for p in hits)
            raise UnusableInputError(f"{d}: more than one file for table {table}: {names}")
        if hits:
            found[table] = hits[0]
    missing = [t for t in REQUIRED_TABLES if t not in found]
    if missing:
        t = missing[0]
        names = " or ".join(
            f"{s}.<{'|'.join(sorted({v for v in FORMATS.values()}))}>" for s in FILE_STEMS[t]
        )
        raise UnusableInputError(f"{d}: no {t} file (expected {names})")
    return found


def _synthetic(seed: int) -> Inputs:
    from .. import synth

    data = synth.generate(seed=seed)
    return Inputs(
        prisoners=data.prisoners,
        institutions=data.institutions,
        professionals=data.professionals,
        source=f"synthetic twin seed {seed}",
        name="synthetic",
        seed=seed,
        truth=getattr(data, "truth", None),
    )


def load_inputs(
    data_dir: str | Path | None = None,
    mapping: str | Path | DataMapping | None = None,
    seed: int = DEFAULT_SEED,
    *,
    check: bool = True,
    read_options: dict[str, Any] | None = None,
) -> Inputs:
    """Read the three tables of ``data_dir`` (through ``mapping``), or make the synthetic twin.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder with ``prisoners.<ext>`` and optionally ``institutions.<ext>`` and
        ``professionals.<ext>`` (``.csv``, ``.parquet``, ``.sav``, ``.dta``; Dutch names
        ``gedetineerden``/``inrichtingen``/``ketenpartners`` work too). ``None``: the
        synthetic twin of ``seed``.
    mapping : path or DataMapping, optional
        The research team's names and codes (see :func:`reintegratie_stats.io.load_mapping`).
    seed : int
        Seed of the synthetic twin (ignored for real data, but recorded).
    check : bool
        Validate each table against the codebook and raise :class:`InvalidDataError` when
        any is invalid.

    Returns
    -------
    Inputs

    Raises
    ------
    UnusableInputError
        Missing folder or file, unknown format, unreadable file, bad mapping.
    InvalidDataError
        A table breaks a codebook rule (``check=True``); ``.to_summary()`` lists everything.
    """
    cb = load_codebook()
    loaded_by: dict[str, Any] = {}
    if data_dir is None:
        if mapping is not None:
            raise UnusableInputError(
                "--mapping needs --data (the synthetic twin has canonical names)"
            )
        inputs = _synthetic(seed)
    else:
        files = find_table_files(data_dir)
        dm = load_mapping(mapping, cb) if isinstance(mapping, str | Path) else mapping
        frames: dict[str, pd.DataFrame | None] = dict.fromkeys(TABLES)
        records = []
        for table, path in files.items():
            loaded = read_table(path, table, mapping=dm, codebook=cb, **(read_options or {}))
            frames[table] = loaded.data
            loaded_by[table] = loaded
            records.append(
                InputFile(
                    table, path.name, sha256_file(path), len(loaded.data), loaded.log.summary()
                )
            )
        map_rec = None
        if dm is not None and dm.path:
            map_rec = InputFile("mapping", Path(dm.path).name, sha256_file(dm.path), 0)
        inputs = Inputs(
            prisoners=frames["prisoners"],  # type: ignore[arg-type]
            institutions=frames["institutions"],
            professionals=frames["professionals"],
            source=str(Path(data_dir)),
            name=Path(data_dir).resolve().name,
            seed=seed,
            files=records,
            mapping=map_rec,
            logs={t: ld.log for t, ld in loaded_by.items()},
        )
        inputs.missing_inputs = missing_analysis_inputs(
            {t: (None if f is None else list(f.columns)) for t, f in frames.items()},
            cb,
            dm,
            {t: ld.file_columns for t, ld in loaded_by.items()},
        )
    inst = inputs.institutions
    for table in TABLES:
        df = getattr(inputs, table)
        if df is not None:
            ref = inst if table != "institutions" else None
            inputs.validation[table] = validate(
                df, table, institutions=ref, codebook=cb, source=loaded_by.get(table)
            )
    if check and any(not r.valid for r in inputs.validation.values()):
        raise InvalidDataError(inputs.validation)
    return inputs
