"""figures.multilevel: chapter-4 figures in both languages, as plain Figure objects."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from reintegratie_stats.figures.multilevel import caterpillar, odds_ratio_forest

RANEF = pd.DataFrame(
    {
        "level": ["PI01", "PI02", "PI03"],
        "estimate": [0.3, -0.2, 0.05],
        "ci_low": [-0.1, -0.6, -0.3],
        "ci_high": [0.7, 0.2, 0.4],
    }
)
EST = pd.DataFrame(
    {
        "outcome": ["contact_probation"] * 2,
        "term": ["Intercept", "score_reception"],
        "estimate": [-0.5, 0.4],
        "ci_low": [-0.9, 0.1],
        "ci_high": [-0.1, 0.7],
    }
)


@pytest.mark.parametrize(
    ("lang", "x_or", "x_log", "title"),
    [
        ("en", "institution effect (odds ratio)", "institution effect (log-odds)", "Odds ratios"),
        ("nl", "inrichtingseffect (odds ratio)", "inrichtingseffect (log-odds)", "Odds ratio's"),
    ],
)
def test_texts_follow_lang(lang, x_or, x_log, title):
    fig = caterpillar(RANEF, odds_ratio=True, lang=lang)
    assert isinstance(fig, Figure) and fig.axes[0].get_xlabel() == x_or
    assert caterpillar(RANEF, lang=lang).axes[0].get_xlabel() == x_log
    forest = odds_ratio_forest(EST, group="outcome", lang=lang)
    assert forest.axes[0].get_title() == title
    # the intercept is not drawn; the one term is, at exp(estimate)
    ((x, *_),) = [line.get_xdata() for line in forest.axes[0].lines if line.get_marker() == "s"]
    assert x == pytest.approx(1.4918247, rel=1e-6)


def test_caterpillar_sorts_levels_and_rejects_bad_input():
    ax = caterpillar(RANEF).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PI02", "PI03", "PI01"]
    with pytest.raises(ValueError, match="ci_low"):
        caterpillar(RANEF.drop(columns="ci_low"))
    with pytest.raises(ValueError, match="lang"):
        odds_ratio_forest(EST, lang="fr")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_forest_labels_terms_and_outcomes_from_the_codebook(lang):
    """Tick labels are "outcome: term" in words: the codebook's variable labels, a factor
    level with its reference category, never the patsy / codebook names."""
    from reintegratie_stats.schema import load_codebook

    cb = load_codebook()
    est = pd.DataFrame(
        {
            "outcome": ["contact_probation"] * 2,
            "term": ["sex[T.male]", "age"],
            "estimate": [0.2, 0.1],
            "ci_low": [0.0, 0.0],
            "ci_high": [0.4, 0.2],
        }
    )
    ticks = [
        t.get_text()
        for t in odds_ratio_forest(est, group="outcome", lang=lang).axes[0].get_yticklabels()
    ]
    sex, out = cb["prisoners"]["sex"], cb["prisoners"]["contact_probation"].label(lang)
    vl = sex.value_labels(lang)
    assert f"{out}: {sex.label(lang)}: {vl['male']}" in ticks[0]
    assert vl["female"] in ticks[0]  # the reference category
    assert ticks[1] == f"{out}: {cb['prisoners']['age'].label(lang)}"
    assert not any("_" in t or "[T." in t for t in ticks)
