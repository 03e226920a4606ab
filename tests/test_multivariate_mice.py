import numpy as np
import pandas as pd
import pytest

from mv_helpers import small
from reintegratie_stats.multivariate import mice_ols, ols, rubin_pool
from reintegratie_stats.results import ModelResults


def _fake(b, v):
    names = ["Intercept", "x"]
    return ModelResults(
        pd.Series(b, index=names), pd.DataFrame(np.diag(v), index=names, columns=names), nobs=10
    )


def test_rubin_rules_by_hand():
    fits = [
        _fake([1.0, 2.0], [0.04, 0.01]),
        _fake([1.2, 1.8], [0.06, 0.01]),
        _fake([0.8, 2.1], [0.05, 0.01]),
    ]
    p = rubin_pool(fits)
    # x: mean 1.9667; W = 0.01; B = var(2, 1.8, 2.1) = 0.023333; T = W + (4/3) B
    B = np.var([2.0, 1.8, 2.1], ddof=1)
    T = 0.01 + (1 + 1 / 3) * B
    assert p.params["x"] == pytest.approx(np.mean([2.0, 1.8, 2.1]))
    assert p.bse["x"] == pytest.approx(np.sqrt(T))
    r = (4 / 3) * B / 0.01
    assert p.extra["df_rubin"]["x"] == pytest.approx(2 * (1 + 1 / r) ** 2)
    assert p.extra["fmi"]["x"] == pytest.approx((4 / 3) * B / T)


def _with_missing(seed=5):
    d = small()
    rng = np.random.default_rng(seed)
    d.loc[rng.random(len(d)) < 0.15, "x"] = np.nan
    d.loc[rng.random(len(d)) < 0.10, "z"] = np.nan
    return d


def test_mice_equals_statsmodels_mice_pooling():
    """Same seed, same imputation sequence: our pooled OLS equals statsmodels' MICE."""
    import statsmodels.api as sm
    from statsmodels.imputation.mice import MICE, MICEData

    d = _with_missing()
    num = d[["y", "x", "need", "z"]].astype(float).reset_index(drop=True)
    num.columns = pd.Index(list(num.columns), dtype=object)
    ref = MICE("y ~ x + need + z", sm.OLS, MICEData(num.copy(), rng=np.random.default_rng(3))).fit(
        n_burnin=5, n_imputations=5
    )
    ours = mice_ols("y ~ x + need + z", d, n_imputations=5, n_burnin=5, n_skip=3, seed=3)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params, rtol=1e-10)
    np.testing.assert_allclose(ours.bse.to_numpy(), ref.bse, rtol=1e-8)


def test_mice_cluster_reproducible_and_close_to_truth():
    d = _with_missing()
    a = mice_ols("y ~ x + need + z", d, cluster="g", n_imputations=5, seed=1)
    b = mice_ols("y ~ x + need + z", d, cluster="g", n_imputations=5, seed=1)
    pd.testing.assert_series_equal(a.params, b.params)
    full = ols("y ~ x + need + z", small(), cluster="g")
    assert abs(a.params["x"] - full.params["x"]) < 2 * full.bse["x"]
    assert a.nobs == len(d) and "Rubin" in a.summary() and "CR1" in a.summary()
    assert a.extra["n_imputed_cells"]["x"] > 0
    with pytest.raises(ValueError, match="nothing to impute"):
        mice_ols("y ~ need", small())
