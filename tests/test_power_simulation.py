"""power.simulation: the loop (seeded, parallel, resumable), the Monte Carlo summaries, and
the power against nominal (type-I), against R's lme4 loop on the same waves, and in its
direction (rises with the effect and with the number of institutions)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from reintegratie_stats import power as pw
from reintegratie_stats.power import simulation as sim_mod

REF = Path(__file__).parent / "reference"
SMALL = pw.Design(n_institutions=10, n_prisoners=800)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect": "the_moon"}, "unknown effect 'the_moon'"),
        ({"term": "sauna"}, "term 'sauna' is not a predictor"),
        ({"analysis": "chapter9"}, "unknown analysis"),
        ({"values": [1.0, 1.0]}, "distinct"),
        ({"effect": "parent_child_day_per_day", "values": [0.06, 1.5]}, "parent_child_day"),
        ({"values": [1.0, -2.0]}, "family_room_visit_ratio = -2.0 is outside"),
        ({"n_sims": 0}, "n_sims"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_power_bad_input(kwargs, message):
    kw = {"design": SMALL, "n_sims": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        pw.power(**kw)


def test_clopper_pearson_matches_statsmodels():
    k, n = np.array([0, 3, 50, 200]), np.array([100, 100, 1000, 200])
    lo, hi = pw.clopper_pearson(k, n)
    ref = [proportion_confint(a, b, method="beta") for a, b in zip(k, n, strict=True)]
    np.testing.assert_allclose(lo, [r[0] for r in ref], atol=1e-10)
    np.testing.assert_allclose(hi, [r[1] for r in ref], atol=1e-10)


def test_minimal_detectable_effect_by_hand():
    tab = pd.DataFrame(
        {
            "design": "d",
            "n_institutions": 26,
            "n_prisoners": 4100,
            "parameter": "x",
            "value": [0.0, 0.1, 0.2, 0.4],
            "power": [0.05, 0.30, 0.70, 0.95],
            "is_null": [True, False, False, False],
        }
    )
    m = pw.minimal_detectable_effect(tab, 0.8).iloc[0]
    # between 0.2 (power .70) and 0.4 (.95): 0.2 + 0.2 * (0.8 - 0.7) / 0.25 = 0.28
    assert m["mde"] == pytest.approx(0.28)
    assert m["status"] == "interpolated"
    assert np.isnan(pw.minimal_detectable_effect(tab, 0.99).iloc[0]["mde"])
    # a ratio effect (null 1) reads the grid by distance from 1
    tab2 = tab.assign(value=[1.0, 1.1, 1.2, 1.4])
    assert pw.minimal_detectable_effect(tab2, 0.8).iloc[0]["mde"] == pytest.approx(1.28)


def test_deterministic_and_independent_of_n_jobs():
    kw = {"design": SMALL, "values": [1.0, 1.5], "n_sims": 4, "seed": 5}
    a = pw.power(**kw, n_jobs=1)
    b = pw.power(**kw, n_jobs=2)
    cols = ["value", "sim", "seed", "estimate", "se", "df", "p_value"]
    pd.testing.assert_frame_equal(a.sims[cols], b.sims[cols])
    pd.testing.assert_frame_equal(a.table[["value", "n_reject"]], b.table[["value", "n_reject"]])
    # common random numbers: simulation i has the same seed at every effect value
    s = a.sims.pivot(index="sim", columns="value", values="seed")
    assert (s[1.0] == s[1.5]).all()
    c = pw.power(**{**kw, "seed": 6})
    assert not np.allclose(a.sims["estimate"], c.sims["estimate"])


def test_cache_resumes_without_rerunning(tmp_path, monkeypatch):
    kw = {"design": SMALL, "values": [1.3], "seed": 9, "cache_dir": tmp_path}
    first = pw.power(**kw, n_sims=3)
    (path,) = tmp_path.glob("power-*.jsonl")
    # an interruption in the middle of writing a line: that simulation is simply run again
    with path.open("a") as fh:
        fh.write('{"sim": 3, "estimate": 0.1')
    calls = []
    real = sim_mod._one

    def counting(point, params, i):
        calls.append(i)
        return real(point, params, i)

    monkeypatch.setattr(sim_mod, "_one", counting)
    second = pw.power(**kw, n_sims=5)
    assert calls == [3, 4]  # only the missing simulations ran
    fresh = pw.power(**{**kw, "cache_dir": None}, n_sims=5)
    cols = ["sim", "seed", "estimate", "se", "p_value"]
    pd.testing.assert_frame_equal(second.sims[cols], fresh.sims[cols], check_dtype=False)
    pd.testing.assert_frame_equal(second.sims[cols].iloc[:3], first.sims[cols], check_dtype=False)
    # a different design point does not reuse the file
    pw.power(**{**kw, "values": [1.4]}, n_sims=1)
    assert len(list(tmp_path.glob("power-*.jsonl"))) == 2


def test_failed_fits_count_as_non_rejections():
    # parent-child days at 0: nobody attends one, the outcome never varies, every fit fails
    r = pw.power(SMALL, "parent_child_day_per_day", [0.0], n_sims=2)
    row = r.table.iloc[0]
    assert row["n_failed"] == 2 and row["n_reject"] == 0 and row["power"] == 0.0
    assert r.sims["error"].str.contains("never varies").all()


class _FixedP:
    """A plug-in test (the bootstrap's place): returns a p-value from the estimate only."""

    name = "fixed"
    refits = 1

    def key(self):
        return {"test": "fixed"}

    def __call__(self, analysis, frame, term):
        return {"p_value": 0.01 if frame[analysis.outcome].mean() > 0 else 0.9}


def test_the_test_is_a_parameter():
    r = pw.power(SMALL, values=[1.0], n_sims=2, test=_FixedP())
    assert r.table["test"].iloc[0] == "fixed"
    assert r.table["power"].iloc[0] == 1.0


@pytest.mark.slow
def test_type_one_error_within_its_monte_carlo_ci():
    # no family-room effect (the twin's default): the between-within Wald t rejects at its
    # nominal 5% (Clopper-Pearson 95% interval of the observed rate covers .05)
    r = pw.power(pw.Design(), "family_room_visit_ratio", [1.0], n_sims=300, seed=16)
    row = r.type_one_error.iloc[0]
    assert row["n_failed"] == 0
    assert row["ci_low"] <= 0.05 <= row["ci_high"], row[["power", "ci_low", "ci_high"]]


@pytest.mark.slow
def test_type_one_error_where_institutions_vary():
    # probation contact has a true institution intercept (SD .3): no facilitation effect, the
    # between-within t (23 df) still rejects at about 5%
    r = pw.power(pw.Design(), "contact_beta.probation.facilitation", [0.0], n_sims=200, seed=17)
    row = r.type_one_error.iloc[0]
    assert row["n_failed"] == 0
    assert row["ci_low"] <= 0.05 <= row["ci_high"], row[["power", "ci_low", "ci_high"]]


def _r_fixture() -> dict:
    return json.loads((REF / "power_family_lme4.json").read_text())


@pytest.mark.slow
def test_power_agrees_with_the_lme4_loop_on_the_same_waves():
    ref = _r_fixture()
    r_sims = pd.DataFrame(ref["sims"]).set_index("sim")
    n = ref["n_sims"]
    ours = pw.power(pw.Design(), "family_room_visit_ratio", [1.2], n_sims=n, seed=2026)
    s = ours.sims.set_index("sim")
    # the same waves refitted: estimates and SEs agree fit by fit (Laplace in both)
    np.testing.assert_allclose(s["estimate"], r_sims["estimate"], rtol=2e-3, atol=2e-4)
    np.testing.assert_allclose(s["se"], r_sims["se"], rtol=2e-3)
    assert (s["df"] == r_sims["df"]).all()  # the df rule counted in R gives the same df
    agree = ((s["p_value"] < 0.05) == r_sims["reject"]).mean()
    assert agree >= 0.98
    # and the power itself, within the Monte Carlo error of n simulations
    p_ours, p_r = float(ours.table["power"].iloc[0]), float(ref["power"])
    mc_se = np.sqrt(p_r * (1 - p_r) / n)
    assert abs(p_ours - p_r) <= 2 * mc_se
    assert 0.2 < p_r < 0.9  # an informative design point (not trivially 0 or 1)


@pytest.mark.slow
def test_power_agrees_with_lme4_power_from_independent_simulations():
    # independent Monte Carlo runs (other seeds) estimate the same power: within the MC CIs
    ref = _r_fixture()
    ours = pw.power(pw.Design(), "family_room_visit_ratio", [1.2], n_sims=200, seed=99)
    lo, hi = pw.clopper_pearson(np.array([ref["n_reject"]]), np.array([ref["n_sims"]]))
    row = ours.table.iloc[0]
    assert row["ci_low"] <= hi[0] and lo[0] <= row["ci_high"]


@pytest.mark.r
@pytest.mark.slow
def test_live_r_loop(tmp_path):
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not on PATH")
    frames = pw.simulated_frames(pw.Design(), "family_room_visit_ratio", 1.2, sims=3, seed=5)
    csv = tmp_path / "f.csv"
    frames.to_csv(csv, index=False, float_format="%.17g")
    out = tmp_path / "r.json"
    subprocess.run(
        ["Rscript", str(REF / "power_family_lme4.R"), str(csv), str(out)],
        check=True,
        capture_output=True,
    )
    r = pd.DataFrame(json.loads(out.read_text())["sims"]).set_index("sim")
    ours = pw.power(pw.Design(), "family_room_visit_ratio", [1.2], n_sims=3, seed=5).sims
    np.testing.assert_allclose(ours.set_index("sim")["estimate"], r["estimate"], rtol=2e-3)


@pytest.mark.slow
def test_power_rises_with_the_effect_and_with_the_institutions():
    by_effect = pw.power(
        pw.Design(n_institutions=16, per_institution=100),
        "family_room_visit_ratio",
        [1.0, 1.15, 1.3, 1.5],
        n_sims=60,
        seed=3,
    ).table
    p = by_effect["power"].to_numpy()
    assert (np.diff(p) >= 0).all(), p  # common random numbers: monotone, not just on average
    assert by_effect["ci_low"].iloc[-1] > by_effect["ci_high"].iloc[0]
    by_size = pw.power(
        pw.size_grid([8, 16, 32], per_institution=100),
        "family_room_visit_ratio",
        [1.25],
        n_sims=60,
        seed=3,
    ).table
    q = by_size.sort_values("n_institutions")["power"].to_numpy()
    assert (np.diff(q) > 0).all(), q
    assert by_size["ci_low"].iloc[-1] > by_size["ci_high"].iloc[0]
