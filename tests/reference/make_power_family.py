"""Write the simulated waves of the power fixture and fit them in R (lme4).

    PYTHONPATH=src python tests/reference/make_power_family.py [n_sims]

Draws ``n_sims`` (default 200) twins at the DPVS design (26 institutions, 4,100 prisoners)
with a family-room effect ``family_room_visit_ratio = 1.2`` (seed 2026, the
:func:`reintegratie_stats.power.power` default), writes their chapter-4 family analysis
frames to a temporary CSV and runs ``power_family_lme4.R`` on it, which writes
``power_family_lme4.json`` next to this file. ``tests/test_power.py`` redraws the same waves
in Python and compares.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from reintegratie_stats.power import Design, simulated_frames

HERE = Path(__file__).resolve().parent
VALUE = 1.2
SEED = 2026


def main(n_sims: int = 200) -> None:
    frames = simulated_frames(Design(), "family_room_visit_ratio", VALUE, sims=n_sims, seed=SEED)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "frames.csv"
        frames.to_csv(csv, index=False, float_format="%.17g")
        subprocess.run(
            [
                "Rscript",
                str(HERE / "power_family_lme4.R"),
                str(csv),
                str(HERE / "power_family_lme4.json"),
            ],
            check=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
