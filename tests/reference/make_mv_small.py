"""Writes mv_small.csv: the small dataset that the R reference scripts of the multivariate
tests read (cluster-OLS, lmer, systemfit SUR, MASS::polr). Run once by hand:

    /work/venv/bin/python tests/reference/make_mv_small.py

Columns: g (15 clusters, unequal sizes), x (support 1-5), need (0/1), z (control),
y (continuous outcome with a random intercept by g), y1/y2/y3 (three correlated outcomes with
their own regressors x1/x2/x3, for SUR), y_ord (1-5 ordinal, logistic latent variable).
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20190)
G = 15
sizes = rng.integers(8, 30, size=G)
g = np.repeat([f"PI{i + 1:02d}" for i in range(G)], sizes)
n = len(g)
u = rng.normal(0, 0.5, G)[np.repeat(np.arange(G), sizes)]
x = rng.integers(1, 6, n).astype(float)
need = rng.binomial(1, 0.4, n).astype(float)
z = np.round(rng.normal(35, 10, n))
y = 2 + 0.3 * x + 0.2 * need + 0.15 * x * need - 0.01 * z + u + rng.normal(0, 1, n)
x1, x2, x3 = (rng.integers(1, 6, n).astype(float) for _ in range(3))
E = rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1]], size=n)
y1 = 1 + 0.4 * x1 + 0.1 * need + E[:, 0]
y2 = 1.5 + 0.2 * x2 + 0.3 * need + E[:, 1]
y3 = 0.5 + 0.3 * x3 - 0.1 * need + E[:, 2]
latent = 0.5 * x + 0.6 * need - 0.02 * z + rng.logistic(size=n)
y_ord = np.digitize(latent, [0.0, 1.0, 2.0, 3.0]) + 1.0
df = pd.DataFrame(
    dict(
        g=g,
        x=x,
        need=need,
        z=z,
        y=np.round(y, 6),
        x1=x1,
        x2=x2,
        x3=x3,
        y1=np.round(y1, 6),
        y2=np.round(y2, 6),
        y3=np.round(y3, 6),
        y_ord=y_ord,
    )
)
df.to_csv(Path(__file__).with_name("mv_small.csv"), index=False)
print(df.shape, df["y_ord"].value_counts().sort_index().to_dict())
