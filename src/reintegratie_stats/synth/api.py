"""Loading the default twin and writing a twin to disk."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..io import write_table
from .generate import SynthData, generate

if TYPE_CHECKING:
    from ..io import DataMapping

__all__ = ["load_example", "write_twin"]

Format = Literal["csv", "parquet", "sav", "dta"]
_FORMATS = ("csv", "parquet", "sav", "dta")


@lru_cache(maxsize=4)
def _cached(seed: int) -> SynthData:
    return generate(seed=seed)


def load_example(seed: int = 2019) -> SynthData:
    """The default synthetic twin (26 institutions, 4,100 prisoners, 1,000 professionals).

    Generated once per seed and cached; every call returns fresh copies of the frames, so
    changing them does not change the next call's data.

    Examples
    --------
    >>> d = load_example()
    >>> d.prisoners.shape[0]
    4100
    """
    d = _cached(int(seed))
    return SynthData(
        institutions=d.institutions.copy(),
        prisoners=d.prisoners.copy(),
        professionals=d.professionals.copy(),
        truth=json.loads(json.dumps(d.truth)),
    )


def write_twin(
    data: SynthData,
    out_dir: str | Path,
    fmt: Format = "csv",
    mapping: DataMapping | str | Path | None = None,
    *,
    nonresponse: Literal["system", "dont_know", "refused"] = "system",
) -> dict[str, Path]:
    """Write the three tables and ``truth.json`` to ``out_dir``.

    Parameters
    ----------
    data : SynthData
    out_dir : str or Path
        Created if absent.
    fmt : {"csv", "parquet", "sav", "dta"}
        File format of the tables (written by :func:`reintegratie_stats.io.write_table`;
        routed-out items become "not applicable" user-missing codes in ``sav``).
    mapping : DataMapping or path, optional
        Mapping (file) to the research team's names/labels/codes (see ``io.load_mapping``).
    nonresponse : {"system", "dont_know", "refused"}
        How ``sav``/``dta`` files code item non-response (the NaN that a
        :class:`~reintegratie_stats.synth.MissingSpec` made): system-missing, or the
        user-missing code of "don't know" (-1) / "won't say" (-2). Questions the routing
        skipped are always written as "not applicable" (-3) with its label.

    Returns
    -------
    dict
        ``{"institutions": path, "prisoners": path, "professionals": path, "truth": path}``.

    Examples
    --------
    >>> import tempfile
    >>> d = generate(n_prisoners=50)
    >>> paths = write_twin(d, tempfile.mkdtemp())
    >>> sorted(p.name for p in paths.values())
    ['institutions.csv', 'prisoners.csv', 'professionals.csv', 'truth.json']
    """
    if fmt not in _FORMATS:
        raise ValueError(f"fmt must be one of {_FORMATS}, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for table, df in data.tables.items():
        path = out / f"{table}.{fmt}"
        paths[table] = Path(write_table(df, path, table, mapping=mapping, nonresponse=nonresponse))
    truth_path = out / "truth.json"
    truth_path.write_text(
        json.dumps(data.truth, indent=2, sort_keys=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    paths["truth"] = truth_path
    return paths
