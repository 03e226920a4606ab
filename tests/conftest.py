"""Shared fixtures: small valid tables drawn from the codebook itself (no second variable list)."""

from __future__ import annotations

import shutil
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.schema import TableSchema, load_codebook

MAPPING = load_codebook().path / "mappings" / "example_nl.yaml"


def random_table(
    schema: TableSchema, n: int, rng: np.random.Generator, institution_ids=None
) -> pd.DataFrame:
    """A table that satisfies every rule of ``schema``: codes, ranges, routing, unique ids."""
    cols: dict[str, object] = {}
    for var in schema:
        if var.type == "id":
            if var.references and institution_ids is not None:
                cols[var.name] = rng.choice(np.asarray(institution_ids, dtype=object), n)
            else:
                cols[var.name] = np.array(
                    [f"{var.name[:2].upper()}{i:05d}" for i in range(n)], dtype=object
                )
        elif var.type == "string":
            cols[var.name] = np.array([f"tekst {i}" for i in range(n)], dtype=object)
        elif var.values and var.type != "integer" or var.type == "category":
            codes = list(var.values)
            vals = rng.choice(np.asarray(codes, dtype=object), n)
            cols[var.name] = vals.astype(float) if var.is_numeric else vals
        else:
            lo, hi = var.bounds
            hi = min(hi, lo + 40)
            if var.is_integer:
                cols[var.name] = rng.integers(int(lo), int(hi) + 1, n).astype(float)
            else:
                cols[var.name] = np.round(rng.uniform(lo, hi, n), 2)
    df = pd.DataFrame(cols)
    for var in schema:  # routing: not asked -> missing
        if var.asked_if is not None and var.asked_if[0] in df:
            col, val = var.asked_if
            df.loc[df[col] != val, var.name] = np.nan
    return df


@pytest.fixture
def codebook():
    return load_codebook()


@pytest.fixture
def tables(codebook):
    """Valid institutions (5), prisoners (60) and professionals (30)."""
    rng = np.random.default_rng(20190)
    inst = random_table(codebook["institutions"], 5, rng)
    ids = inst["institution_id"].tolist()
    return {
        "institutions": inst,
        "prisoners": random_table(codebook["prisoners"], 60, rng, ids),
        "professionals": random_table(codebook["professionals"], 30, rng, ids),
    }


@pytest.fixture
def data_dir(tables, tmp_path):
    """The ``tables`` fixture written as one CSV per table, as a research team's folder."""
    from reintegratie_stats.io import write_table

    d = tmp_path / "data"
    for t, df in tables.items():
        write_table(df, d / f"{t}.csv", t)
    return d


@pytest.fixture(scope="session")
def dutch_report(tmp_path_factory) -> Path:
    """One Dutch report (``--lang nl``) of a 500-prisoner twin, built once per session (19
    bootstrap replicates keep it short): its output folder."""
    from reintegratie_stats.io import write_table
    from reintegratie_stats.reporting import sections
    from reintegratie_stats.reporting.report import build_report
    from reintegratie_stats.synth import generate

    d = generate(seed=3, n_prisoners=500, n_professionals=150)
    data = tmp_path_factory.mktemp("dutch_data")
    for t in ("institutions", "prisoners", "professionals"):
        write_table(getattr(d, t), data / f"{t}.csv", t)
    out = tmp_path_factory.mktemp("dutch_out") / "r"
    with mock.patch.dict(sections._ML_TESTS, {"nsim": 19}):
        run = build_report(data, out=out, lang="nl", console=None)
    assert run.ok, [(r.name, r.error) for r in run.failed]
    return out


@pytest.fixture(scope="module")
def small_twin_inputs():
    """The report's inputs for a small twin (600 prisoners, 8 institutions, seed 5), fresh
    per test module."""
    from reintegratie_stats.reporting.inputs import Inputs
    from reintegratie_stats.synth import generate

    d = generate(seed=5, n_prisoners=600, n_institutions=8, n_professionals=80)
    return Inputs(
        prisoners=d.prisoners,
        institutions=d.institutions,
        professionals=d.professionals,
        source="synthetic twin seed 5",
        name="synthetic",
        seed=5,
    )


@pytest.fixture
def mapping_path():
    return MAPPING


def needs(tool: str):
    """Skip marker for tests that need an external program."""
    return pytest.mark.skipif(
        shutil.which(tool) is None,
        reason=f"{tool} not on PATH (installed by scripts/setup.sh as root)",
    )


# Fixture generators (run by hand to rebuild tests/reference/): never imported by pytest,
# whose --doctest-modules would otherwise run them at collection.
collect_ignore_glob = ["reference/*.py"]
