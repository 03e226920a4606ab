"""The one R bridge: a clear ImportError without pymer4, lme4's numbers with it."""

import importlib.util

import numpy as np
import pytest

from reintegratie_stats.statistics import r_bridge


def test_missing_pymer4_gives_one_install_message(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pymer4" else real(name, *a)
    )
    with pytest.raises(ImportError, match="pymer4==0.8.2"):
        r_bridge.import_pymer4()


@pytest.mark.pymer4
def test_lmer_numeric_agrees_with_the_native_lmm():
    pytest.importorskip("pymer4")
    import pandas as pd

    from reintegratie_stats.statistics.lmm import fit_lmm

    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(15), 20)
    x = rng.normal(size=300)
    y = 1.0 + 0.5 * x + rng.normal(scale=0.6, size=15)[g] + rng.normal(size=300)
    X = np.column_stack([np.ones(300), x])
    r = r_bridge.lmer_numeric(y, X, g, reml=True)
    nat = fit_lmm("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g.astype(str)}))
    np.testing.assert_allclose(r["params"], nat.beta, rtol=1e-5)
    np.testing.assert_allclose(
        np.sqrt(np.diag(r["cov"])), np.sqrt(np.diag(nat.cov_beta)), rtol=1e-4
    )
    assert r["n_groups"] == 15
