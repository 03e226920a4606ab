import numpy as np
import pandas as pd
import pytest

from mv_helpers import load_ref, r_name, small
from reintegratie_stats.multivariate import ols
from reintegratie_stats.results import ModelResults


def hand_cr1(X: np.ndarray, y: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1 times G/(G-1)(N-1)/(N-K), in plain numpy."""
    n, k = X.shape
    bread = np.linalg.inv(X.T @ X)
    b = bread @ X.T @ y
    u = y - X @ b
    meat = np.zeros((k, k))
    groups = np.unique(g)
    for gg in groups:
        s = X[g == gg].T @ u[g == gg]
        meat += np.outer(s, s)
    G = len(groups)
    c = G / (G - 1) * (n - 1) / (n - k)
    return b, c * bread @ meat @ bread


def test_cluster_se_equal_hand_sandwich():
    d = small()
    r = ols("y ~ x * need + z", d, cluster="g")
    X = np.column_stack([np.ones(len(d)), d.x, d.need, d.z, d.x * d.need])
    b, V = hand_cr1(X, d.y.to_numpy(), d.g.to_numpy())
    order = ["Intercept", "x", "need", "z", "x:need"]
    np.testing.assert_allclose(r.params[order].to_numpy(), b, rtol=1e-10)
    np.testing.assert_allclose(r.cov_params().loc[order, order].to_numpy(), V, rtol=1e-9)
    assert isinstance(r, ModelResults)
    assert r.cov_type == "cluster"
    assert "CR1" in r.summary() and "G/(G-1)·(N-1)/(N-K)" in r.summary()
    assert r.df_resid == 14  # G - 1


def test_cluster_se_equal_r_sandwich_vcovcl_fixture():
    ref = load_ref("sandwich_vcovcl")
    r = ols(ref["formula"], small(), cluster="g")
    names = [t for t in r.params.index]
    idx = [ref["terms"].index(r_name(t)) for t in names]
    np.testing.assert_allclose(r.params.to_numpy(), np.array(ref["params"])[idx], rtol=1e-8)
    np.testing.assert_allclose(r.bse.to_numpy(), np.array(ref["se"])[idx], rtol=1e-8)
    V = np.array(ref["vcov"])[np.ix_(idx, idx)]
    np.testing.assert_allclose(r.cov_params().to_numpy(), V, rtol=1e-7, atol=1e-12)
    assert r.llf == pytest.approx(ref["logLik"], rel=1e-10)
    assert r.nobs == ref["nobs"]


@pytest.mark.r
def test_cluster_se_live_rscript(tmp_path):
    import shutil
    import subprocess

    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not on PATH")
    d = small()
    d.to_csv(tmp_path / "d.csv", index=False)
    code = (
        "suppressPackageStartupMessages(library(sandwich));"
        f"d<-read.csv('{tmp_path / 'd.csv'}');f<-lm(y~x+need+z,data=d);"
        "cat(sprintf('%.15g',sqrt(diag(vcovCL(f,cluster=~g,type='HC1')))),sep=',')"
    )
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        pytest.skip(f"R sandwich unavailable: {out.stderr[:200]}")
    se_r = np.array([float(v) for v in out.stdout.strip().split(",")])
    r = ols("y ~ x + need + z", d, cluster="g")
    np.testing.assert_allclose(r.bse.to_numpy(), se_r, rtol=1e-8)


def test_listwise_counts_and_no_mutation():
    d = small()
    d.loc[[0, 1, 2], "x"] = np.nan
    d.loc[[2, 3], "g"] = np.nan
    before = d.copy()
    r = ols("y ~ x + z", d, cluster="g")
    assert r.nobs == len(d) - 4
    assert r.extra["n_excluded"] == 4
    assert r.extra["excluded_by"] == {"x": 3, "g": 2}
    pd.testing.assert_frame_equal(d, before)


def test_nonrobust_and_hc1_match_statsmodels():
    import statsmodels.formula.api as smf

    d = small()
    ref = smf.ols("y ~ x + need", d).fit()
    r = ols("y ~ x + need", d)
    np.testing.assert_allclose(r.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    r2 = ols("y ~ x + need", d, robust=True)
    np.testing.assert_allclose(r2.bse.to_numpy(), ref.HC1_se.to_numpy(), rtol=1e-10)
    assert r2.cov_type == "HC1"


def test_bad_input_messages():
    d = small()
    with pytest.raises(ValueError, match="nothere"):
        ols("y ~ nothere", d)
    with pytest.raises(ValueError, match="cluster"):
        ols("y ~ x", d.assign(one="a"), cluster="one")
    with pytest.raises(ValueError, match="rank deficient"):
        ols("y ~ x + x2", d.assign(x2=d.x * 2))
    with pytest.raises(ValueError, match="formula"):
        ols("y x", d)


def test_string_dtype_cluster():
    d = small()
    d["g"] = d["g"].astype("string")
    r = ols("y ~ x", d, cluster="g")
    assert r.extra["n_clusters"] == 15
