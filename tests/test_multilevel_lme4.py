"""multilevel.lme4: R's lme4 through pymer4, read back under the native backend's labels.

R names a factor's coefficient ``sexmale`` and orders terms as written; patsy names it
``sex[T.male]`` and puts factors first. The bridge must match them by name: checked against
lme4 run by ``Rscript`` on the same rows, with the name pairs written out by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from multilevel_data import cbpp01, simulate
from reintegratie_stats.multilevel import glmer, lmer
from reintegratie_stats.multilevel.lme4 import r_formula

F = "contact_probation ~ age_c + rating_information + (1 | institution_id)"


def _pymer4():
    pytest.importorskip("pymer4", reason="pymer4 (the lme4 extra) is not installed")


def test_r_formula_drops_patsys_c_around_factors():
    assert (
        r_formula("y ~ C(sex) + C( period ) + age + (1 | g)") == "y ~ sex + period + age + (1 | g)"
    )
    assert r_formula("y ~ x + (1 | g)") == "y ~ x + (1 | g)"  # nothing to translate
    assert r_formula("y ~ C(a.b)") == "y ~ a.b"  # R names may hold dots


def test_lme4_backend_without_pymer4_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymer4", None)  # import pymer4 -> ImportError
    monkeypatch.setitem(sys.modules, "pymer4.models", None)
    with pytest.raises(ImportError, match=r"backend='lme4' needs R with the lme4 package"):
        glmer(F, simulate(1), backend="lme4")
    with pytest.raises(ImportError, match=r"backend='lme4' needs R with the lme4 package"):
        lmer("age_c ~ rating_information + (1 | institution_id)", simulate(1), backend="lme4")


def _labelled_frame():
    df = simulate(5, n=800)
    rng = np.random.default_rng(5)
    df["sex"] = np.where(rng.random(len(df)) < 0.5, "male", "female").astype(object)
    df["grade"] = rng.choice(np.array(["a", "b", "c"], dtype=object), len(df))
    # strong effects of the factors, so that a label swap with age_c cannot go unnoticed
    eta = (
        np.where(df["sex"] == "male", 1.5, 0.0)
        + np.where(df["grade"] == "c", -1.0, 0.0)
        + 0.4 * df["age_c"]
    )
    df["contact_probation"] = (rng.random(len(df)) < 1 / (1 + np.exp(-eta))).astype(float)
    return df


@pytest.mark.pymer4
@pytest.mark.r
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not on PATH")
def test_lme4_labels_are_matched_by_name_against_rscript(tmp_path):
    _pymer4()
    df = _labelled_frame()
    f = "contact_probation ~ age_c + C(grade) + sex + (1 | institution_id)"
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    code = (
        "suppressMessages(library(lme4));"
        f"d <- read.csv('{path}');"
        "m <- glmer(contact_probation ~ age_c + grade + sex + (1 | institution_id), d,"
        " family = binomial);"
        "cat(sprintf('%s %.10f %.10f', names(fixef(m)), fixef(m), sqrt(diag(as.matrix(vcov(m))))),"
        " sep = '\\n')"
    )
    out = subprocess.run(
        ["Rscript", "-e", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout.split("\n")
    r = {ln.split()[0]: (float(ln.split()[1]), float(ln.split()[2])) for ln in out if ln.strip()}
    # patsy's name -> R's name, by hand
    pairs = {
        "Intercept": "(Intercept)",
        "C(grade)[T.b]": "gradeb",
        "C(grade)[T.c]": "gradec",
        "sex[T.male]": "sexmale",
        "age_c": "age_c",
    }
    assert set(r) == set(pairs.values())
    m = glmer(f, df, backend="lme4")
    assert set(m.params.index) == set(pairs)
    for ours, theirs in pairs.items():
        assert m.params[ours] == pytest.approx(r[theirs][0], abs=1e-6), ours
        assert m.bse[ours] == pytest.approx(r[theirs][1], rel=1e-5), ours
    assert m.backend == "lme4" and m.ranef["n"].sum() == m.nobs == len(df)


@pytest.mark.pymer4
def test_lme4_backend_labels_match_native_with_categorical_terms():
    """R orders terms as written, patsy puts categorical terms first: labels must follow names."""
    _pymer4()
    df = simulate(5)
    rng = np.random.default_rng(5)
    df["sex"] = np.where(rng.random(len(df)) < 0.5, "male", "female").astype(object)
    # a strong effect of sex, so that a label swap with age_c cannot go unnoticed
    eta = np.where(df["sex"] == "male", 1.5, 0.0) + 0.4 * df["age_c"]
    df["contact_probation"] = (rng.random(len(df)) < 1 / (1 + np.exp(-eta))).astype(float)
    f = "contact_probation ~ age_c + sex + (1 | institution_id)"
    nat, r = glmer(f, df), glmer(f, df, backend="lme4")
    assert list(r.params.index) == list(nat.params.index)
    np.testing.assert_allclose(r.params.to_numpy(), nat.params.to_numpy(), atol=2e-3)
    np.testing.assert_allclose(r.bse.to_numpy(), nat.bse.to_numpy(), rtol=2e-2)


@pytest.mark.pymer4
def test_rows_with_missing_values_are_excluded_before_r_sees_them():
    _pymer4()
    df = simulate(6, n=600)
    df.loc[[0, 1, 2], "age_c"] = np.nan
    df.loc[[10], "institution_id"] = None
    df["unused"] = np.nan  # not in the formula: never a reason to drop a row
    m = glmer(F, df, backend="lme4")
    assert m.nobs == len(df) - 4
    assert m.extra["n_excluded"] == 4
    assert m.extra["excluded_by"] == {"age_c": 3, "institution_id": 1}


@pytest.mark.pymer4
@pytest.mark.slow
def test_lmer_lme4_backend_agrees_with_statsmodels():
    _pymer4()
    df = cbpp01()
    rng = np.random.default_rng(1)
    df["w"] = rng.normal(size=len(df)) + df["y"] + rng.normal(size=15)[df["herd"].astype(int) - 1]
    for reml in (True, False):
        a = lmer("w ~ C(period) + (1 | herd)", df, reml=reml)
        b = lmer("w ~ C(period) + (1 | herd)", df, reml=reml, backend="lme4")
        np.testing.assert_allclose(a.params, b.params, atol=1e-4)
        np.testing.assert_allclose(a.bse, b.bse, rtol=2e-3)
        assert a.llf == pytest.approx(b.llf, abs=1e-4)
        assert a.aic == pytest.approx(b.aic, abs=1e-3)
        assert a.variance_components.iloc[0] == pytest.approx(
            b.variance_components.iloc[0], rel=2e-3
        )
