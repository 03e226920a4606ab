import matplotlib.figure
import pytest

from mv_helpers import small
from reintegratie_stats.figures.multivariate import interaction_plot
from reintegratie_stats.multivariate import ols, predicted


@pytest.fixture(scope="module")
def table():
    r = ols("y ~ x * need + z", small(), cluster="g")
    p = predicted(r, "x", "need", at=[1.0, 3.0, 5.0])
    return p.assign(outcome="prep_housing", side="external")


def test_interaction_plot(table):
    fig = interaction_plot(table, lang="nl")
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # no prior need / prior need
    assert "Huisvesting" in ax.get_title()
    y = ax.lines[1].get_ydata()
    assert list(y) == list(table[table.by_value == 1.0].sort_values("x_value")["estimate"])
    assert ax.get_ylabel() == "Voorspelde voorbereiding (1-5)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Geen probleem voor detentie",
        "Probleem voor detentie",
    ]


def test_interaction_plot_errors(table):
    with pytest.raises(ValueError, match="side"):
        interaction_plot(table.drop(columns="side"))
    with pytest.raises(ValueError, match="lang"):
        interaction_plot(table, lang="fr")
