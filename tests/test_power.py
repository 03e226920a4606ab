"""The ``power`` command: simulated power of a planned wave from the command line (the
package's modules are tested in tests/test_power_<module>.py)."""

from __future__ import annotations

import pandas as pd


def test_power_command_writes_the_table_and_the_figure(tmp_path):
    from typer.testing import CliRunner

    from reintegratie_stats.cli import app

    args = ["power", "-j", "8,10", "--prisoners", "500", "--values", "1.0,1.6", "-n", "2"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--cache", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "MDE at power 0.8" in res.output
    tab = pd.read_csv(tmp_path / "power.csv")
    assert len(tab) == 4 and set(tab["n_institutions"]) == {8, 10}
    assert (tmp_path / "power_curve.png").stat().st_size > 0
    bad = CliRunner().invoke(app, ["power", "--facility", "has_family_room=2", "-n", "1"])
    assert bad.exit_code == 2 and "not a probability" in bad.output
    assert "Traceback" not in bad.output
