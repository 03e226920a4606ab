"""The same tables on another CPU: the reference report and the small-group report re-run with
numpy's AVX-512 kernels and OpenBLAS's AVX-512 kernels switched off (as on an AVX2 machine).

Byte-identical tables across machines need every printed digit to be a property of the data,
not of the floating-point path: an optimum found with numerical derivatives, or a variance of
1e-28 at a boundary, prints the CPU's rounding. Such digits differed between two CI machines
(ch5_ordinal, ch5_robustness, family_ml_model_comparison, ch5_reliability); this test finds the
next one on a single machine. Skipped where the CPU has no AVX-512 to switch off.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reports" / "synthetic"
DIGESTS = ROOT / "tests" / "reference" / "small_group_report_digests.json"

#: numpy dispatch targets above AVX2 and the OpenBLAS kernel of an AVX2 machine.
AVX2_ENV = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL", "OPENBLAS_CORETYPE": "Haswell"}

SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
from pathlib import Path
from test_report import small_group_tables, write_data
from reintegratie_stats.reporting.report import build_report
out = Path(sys.argv[1])
build_report(out=out / "synthetic", console=None)
build_report(write_data(small_group_tables(), out / "data" / "pilot"), out=out / "small", console=None)
"""


def _has_avx512() -> bool:
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return bool(__cpu_features__.get("AVX512F"))


@pytest.mark.slow
@pytest.mark.skipif(not _has_avx512(), reason="no AVX-512 on this CPU to switch off")
@pytest.mark.skipif(
    not (REFERENCE / "manifest.json").is_file(), reason="reports/synthetic/ not generated yet"
)
def test_tables_are_the_same_without_avx512(tmp_path):
    env = {**os.environ, **AVX2_ENV}
    # rpy2 (another test in this worker process) prepends R's and the system's library folders
    # to LD_LIBRARY_PATH, where a child Python then finds the wrong libraries (pyarrow's ssl)
    env.pop("LD_LIBRARY_PATH", None)
    paths = [str(ROOT / "src"), str(ROOT / "tests"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    committed = {p.name: p.read_bytes() for p in (REFERENCE / "tables").glob("*.csv")}
    again = {p.name: p.read_bytes() for p in (tmp_path / "synthetic" / "tables").glob("*.csv")}
    assert sorted(again) == sorted(committed)
    differ = sorted(name for name in committed if committed[name] != again[name])
    small = tmp_path / "small"
    got = {
        p.relative_to(small).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in ("tables", "publication")
        for p in sorted((small / folder).glob("*.csv"))
    }
    want = json.loads(DIGESTS.read_text(encoding="utf-8"))
    differ += sorted(f"small/{k}" for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    assert not differ, f"tables that depend on the CPU's floating-point path: {differ}"
