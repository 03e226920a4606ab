"""Publication tables: cells checked against hand computations from the tidy inputs' counts,
labels and words read from the codebook YAML, suppression kept, readings that follow the
table's own tests."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm

from reintegratie_stats import bivariate, descriptives
from reintegratie_stats.derived_variables import add_derived
from reintegratie_stats.disclosure import protect
from reintegratie_stats.publication.tables import fmt_ci, fmt_p, publication_tables
from reintegratie_stats.synth import generate

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "reintegratie_stats" / "data_schema"
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|C\(|\[T\.")


def _yaml(name: str) -> dict:
    return yaml.safe_load((SCHEMA / name).read_text(encoding="utf-8"))


def _concept(group: str, key: str, lang: str) -> str:
    return _yaml("concepts.yaml")[group][key][lang]


@pytest.fixture(scope="module")
def prisoners() -> pd.DataFrame:
    return add_derived(generate(seed=11, n_prisoners=600).prisoners)


def test_number_style_per_language():
    assert fmt_ci(1.2345, 1.01, 1.5, 2, "en") == "1.23 [1.01, 1.50]"
    assert fmt_ci(1.2345, 1.01, 1.5, 2, "nl") == "1,23 [1,01; 1,50]"
    assert fmt_ci("–", 1, 2, 2) == "–"  # a suppressed estimate stays suppressed
    assert fmt_p(0.00012, "nl") == "<0,001" and fmt_p(0.0456) == "0.046"


def test_needs_by_contact_cells_are_the_two_by_two_table(prisoners):
    tidy = bivariate.needs_vs_contact(prisoners)
    t = next(
        x
        for x in publication_tables({"ch3_needs_vs_contact": protect(tidy, 10)}, "en")
        if x.name == "pub_ch3_needs_vs_contact"
    )
    assert t.number == "3.1" and len(t.rows) == len(tidy)
    domain = _concept("domains", "housing", "en")
    mentor = _yaml("concepts.yaml")["professional_types"]
    mentor = (
        next(v for v in mentor if v["code"] == "mentor")["en"]
        if isinstance(mentor, list)
        else mentor["mentor"]["en"]
    )
    row = next(r for r in t.rows if r[0] == domain and r[1] == mentor)
    # hand computation from the raw data, not from the tidy table's rates
    d = prisoners.dropna(subset=["need_housing", "contact_mentor"])
    a = ((d.need_housing == 1) & (d.contact_mentor == 1)).sum()
    b = ((d.need_housing == 1) & (d.contact_mentor == 0)).sum()
    c = ((d.need_housing == 0) & (d.contact_mentor == 1)).sum()
    dd = ((d.need_housing == 0) & (d.contact_mentor == 0)).sum()
    assert row[2] == f"{100 * a / (a + b):.1f}" and row[3] == f"{100 * c / (c + dd):.1f}"
    odds = (a * dd) / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / dd)
    z = norm.ppf(0.975)
    lo, hi = odds * math.exp(-z * se), odds * math.exp(z * se)
    assert row[4] == f"{odds:.2f} [{lo:.2f}, {hi:.2f}]"


def test_rates_by_regime_in_dutch_with_suppressed_groups(prisoners):
    p = prisoners.copy()
    p.loc[p.index[:4], "regime"] = "EZV"  # a regime of 4 prisoners
    p.loc[p.index[4:], "regime"] = p.loc[p.index[4:], "regime"].replace("EZV", "GBM")
    tables = {
        "ch2_contact_rates": protect(descriptives.contact_rates(p), 10),
        "ch2_contact_rates_by_regime": protect(descriptives.contact_rates(p, by="regime"), 10),
    }
    t = next(x for x in publication_tables(tables, "nl") if x.name == "pub_ch2_contact_by_regime")
    ezv = t.header.index(_concept("regimes", "EZV", "nl"))
    assert all(r[ezv] in ("–", "<10") for r in t.rows)  # no statistic of 4 prisoners
    gbm = t.header.index(_concept("regimes", "GBM", "nl"))
    d = p[p.regime == "GBM"].dropna(subset=["contact_mentor"])
    share = 100 * d.contact_mentor.mean()
    mentor_row = next(r for r in t.rows if r[0] == "Mentor")
    assert mentor_row[gbm].startswith(f"{share:.1f}".replace(".", ","))
    assert ";" in mentor_row[gbm] and "." not in mentor_row[gbm]
    assert t.rows[-1][gbm] == str(len(p[p.regime == "GBM"]))
    for text in (*t.header, *(r[0] for r in t.rows), t.caption, t.reading):
        assert not SNAKE.search(text), text


def _ladder(block_p: float) -> dict[str, pd.DataFrame]:
    terms = {"null": ["Intercept"], "individual": ["Intercept", "sex[T.male]", "age"]}
    terms["institutional"] = terms["individual"] + ["rating_reception"]
    rng = np.random.default_rng(1)
    rows = []
    for m, ts in terms.items():
        for t in ts:
            b, se = rng.normal(0, 0.5), 0.1
            rows.append(
                dict(outcome="contact_probation", model=m, term=t, estimate=b, p_value=0.03,
                     odds_ratio=math.exp(b), or_low=math.exp(b - 1.96 * se),
                     or_high=math.exp(b + 1.96 * se))
            )  # fmt: skip
    est = pd.DataFrame(rows)
    comp = pd.DataFrame(
        dict(outcome="contact_probation", model=list(terms), n_obs=[812] * 3, n_groups=[26] * 3,
             aic=[1000.0, 990.0, 985.0], variance=[0.2, 0.18, 0.1], icc=[0.0573, 0.05, 0.03],
             median_odds_ratio=[1.53, 1.5, 1.35], lrt_p_value=[np.nan, 0.001, block_p],
             lrt_test=[None, "LRT chi-square", "parametric bootstrap LRT (199)"])
    )  # fmt: skip
    return {"ch4_model_comparison": comp, "ch4_estimates": est}


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_models_side_by_side_with_reference_categories_and_foot(lang):
    tables = _ladder(0.2)
    (t,) = [x for x in publication_tables(tables, lang) if x.chapter == "ch4"]
    assert t.number == "4.1" and len(t.header) == 7  # term + (OR, p) x 3 models
    sex = _yaml("prisoners.yaml")
    sex = next(
        v for v in (sex["variables"] if isinstance(sex, dict) else sex) if v["name"] == "sex"
    )
    labels = [r[0] for r in t.rows]
    want = f"{sex['label'][lang]}: {sex['values']['male'][lang]} (ref. {sex['values']['female'][lang]})"
    assert want in labels
    est = tables["ch4_estimates"]
    age = est[(est.model == "institutional") & (est.term == "age")].iloc[0]
    pris = _yaml("prisoners.yaml")
    pris = pris["variables"] if isinstance(pris, dict) else pris
    age_label = next(v for v in pris if v["name"] == "age")["label"][lang]
    row = next(r for r in t.rows if r[0] == age_label)
    cell = f"{math.exp(age.estimate):.2f}"
    assert row[5].startswith(cell if lang == "en" else cell.replace(".", ","))
    assert row[1] == ""  # not in the null model
    n_row = t.rows[-2]
    assert n_row[1] == n_row[3] == n_row[5] == "812" and t.rows[-1][5] == "26"
    assert any("5,7" in r or "5.7" in r for r in [t.reading])  # ICC 0.0573 as a percentage


def test_ladder_reading_follows_the_block_bootstrap_test():
    (ns,) = [x for x in publication_tables(_ladder(0.2), "en") if x.chapter == "ch4"]
    (sig,) = [x for x in publication_tables(_ladder(0.01), "en") if x.chapter == "ch4"]
    assert "do not improve" in ns.reading and "0.200" in ns.reading
    assert "do not" not in sig.reading and "0.010" in sig.reading
    assert "Single institution terms" in sig.reading and "Single institution" not in ns.reading


def _two_scores(p_values: tuple[float, float], penalized: bool = False) -> dict[str, pd.DataFrame]:
    tables = _ladder(0.01)
    est = tables["ch4_estimates"]
    extra = est[est.term == "rating_reception"].assign(term="rating_facilities")
    est = pd.concat([est, extra], ignore_index=True)
    for term, p in zip(("rating_reception", "rating_facilities"), p_values, strict=True):
        est.loc[(est.model == "institutional") & (est.term == term), "p_value"] = p
    comp = tables["ch4_model_comparison"].assign(penalized=penalized)
    return {"ch4_model_comparison": comp, "ch4_estimates": est}


def test_ladder_reading_names_single_terms_after_holm_within_the_block():
    """Two institution terms at p = 0.03 and 0.04: each below 0.05 alone, neither after Holm
    (0.06, 0.06), so the reading names none; at 0.01 and 0.04 Holm gives 0.02 and 0.04."""
    (none,) = [x for x in publication_tables(_two_scores((0.03, 0.04)), "en") if x.chapter == "ch4"]
    (both,) = [x for x in publication_tables(_two_scores((0.01, 0.04)), "en") if x.chapter == "ch4"]
    assert "improve the model significantly" in none.reading
    assert "Single institution terms" not in none.reading and "(OR " not in none.reading
    named = both.reading.split("Holm-adjusted p < 0.05): ")[1]
    assert named.count("(OR ") == 2


def test_ladder_reading_of_a_penalised_fit_names_terms_without_odds_ratios():
    (t,) = [
        x
        for x in publication_tables(_two_scores((0.01, 0.5), penalized=True), "en")
        if x.chapter == "ch4"
    ]
    named = t.reading.split("so no odds ratio is given): ")[1]
    assert "OR " not in named and len(named) > 2


def test_domain_terms_share_a_row_and_marginal_effects_by_need():
    rows = []
    for d in ("housing", "work_income"):
        for term, b, p in (
            ("Intercept", 3.0, 0.001),
            (f"instr_int_{d}_c", 0.2 if d == "housing" else 0.01, 0.01 if d == "housing" else 0.6),
            (f"instr_int_{d}_c:need_{d}", 0.1, 0.5),
        ):
            rows.append(dict(model="ols_cluster", outcome=f"prep_{d}", term=term, estimate=b,
                             std_error=0.1, p_value=p, ci_low=b - 0.2, ci_high=b + 0.2, n=300))  # fmt: skip
    (t,) = [x for x in publication_tables({"ch5_ols": pd.DataFrame(rows)}, "nl")]
    assert len(t.rows) == 4  # intercept, support, interaction, N
    head = [_concept("domains", "work_income", "nl"), _concept("domains", "housing", "nl")]
    assert [h.split(":")[0] for h in t.header[1::2]] == head  # codebook order of the domains
    assert "op het leefgebied" in t.rows[1][0] and "×" in t.rows[2][0]
    assert _concept("domains", "housing", "nl") in t.reading
    assert _concept("domains", "work_income", "nl") not in t.reading  # p = 0.6
    assert not any(SNAKE.search(r[0]) for r in t.rows)
