"""figures.descriptives: figures build from tidy results and leave small groups out."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from _frames import CB, simulate_prisoners
from reintegratie_stats.bivariate import needs_vs_contact
from reintegratie_stats.descriptives import contact_rates, family_contact_rates
from reintegratie_stats.figures.bivariate import forest_plot
from reintegratie_stats.figures.descriptives import contact_rates_figure, family_contact_figure


def _n_points(fig: Figure) -> int:
    return sum(
        len(line.get_xdata()) for ax in fig.axes for line in ax.lines if line.get_marker() == "o"
    )


def test_figures_build_and_hide_small_groups(tmp_path):
    d = simulate_prisoners(300, seed=8)
    rates = contact_rates(d, by="regime")
    fig = contact_rates_figure(rates, lang="nl")
    assert isinstance(fig, Figure)
    n_small = int(((rates["n"] < 10) | (rates["n_contact"] < 10)).sum())
    assert n_small > 0 and _n_points(fig) == len(rates) - n_small
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        CB.concept_label("professional_types", t, "nl") for t in CB.professional_types
    ]
    fig.savefig(tmp_path / "rates.png")
    nv = needs_vs_contact(d)
    fp = forest_plot(nv)
    assert fp.axes[0].get_xscale() == "log"
    fam = family_contact_figure(family_contact_rates(d, by="regime"))
    fam.savefig(tmp_path / "family.png")
    assert (tmp_path / "family.png").stat().st_size > 0


def test_figure_input_errors():
    with pytest.raises(ValueError, match="rate"):
        contact_rates_figure(pd.DataFrame({"type": ["care"], "regime": ["HvB"]}))
    with pytest.raises(ValueError, match="series"):
        contact_rates_figure(
            pd.DataFrame({"type": ["care"], "rate": [0.1], "ci_low": [0], "ci_high": [1]})
        )
