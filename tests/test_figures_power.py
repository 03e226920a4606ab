"""figures.power: the power curve (no pyplot, texts from report_texts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from reintegratie_stats.schema import load_codebook


def test_power_curve_figure_checks_its_input():
    from reintegratie_stats.figures.power import power_curve

    with pytest.raises(ValueError, match="power table"):
        power_curve(pd.DataFrame({"x": [1]}))


def _table(designs=("26 institutions", "40 institutions")):
    rows = []
    for j, d in enumerate(designs):
        for v, p in ((1.0, 0.05), (1.2, 0.4 + 0.1 * j), (1.4, 0.8 + 0.1 * j)):
            rows.append(
                {
                    "design": d,
                    "n_institutions": 26 + 14 * j,
                    "value": v,
                    "power": p,
                    "ci_low": p - 0.03,
                    "ci_high": p + 0.03,
                    "alpha": 0.05,
                    "parameter": "family_room_visit_ratio",
                    "unit": "rate ratio",
                }
            )
    return pd.DataFrame(rows)


def test_one_line_per_design_with_the_points_and_their_intervals():
    from reintegratie_stats.figures.power import power_curve

    fig = power_curve(_table(), target=0.8)
    ax = fig.axes[0]
    # errorbar containers: one per design, each with the three (value, power) points
    conts = ax.containers
    assert len(conts) == 2
    for cont, (_, g) in zip(conts, _table().groupby("design", sort=False), strict=True):
        x, y = cont.lines[0].get_data()
        np.testing.assert_allclose(x, g["value"])
        np.testing.assert_allclose(y, g["power"])
    # the nominal level and the target as horizontal lines
    levels = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1)
    assert levels == pytest.approx([0.05, 0.8])
    assert ax.get_ylim() == (0.0, 1.0)


def test_texts_in_the_language_asked_from_the_report_texts():
    from reintegratie_stats.figures.power import power_curve

    texts = yaml.safe_load(
        (load_codebook().path / "report_texts_nl.yaml").read_text(encoding="utf-8")
    )["figures"]
    fig = power_curve(_table(), x="n_institutions", target=0.9, lang="nl")
    ax = fig.axes[0]
    assert ax.get_ylabel() == texts["power_axis"].format(alpha=0.05)
    assert ax.get_xlabel() == texts["institutions_axis"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts["power_target"].format(target=0.9) in legend  # "doel 90%"
    assert "doel 90%" in legend  # and the format is applied as written
    with pytest.raises(ValueError, match="lang"):
        power_curve(_table(), lang="de")
    with pytest.raises(ValueError, match="x must be"):
        power_curve(_table(), x="alpha")
