"""Write the chapter-5 designs used by lme4_lmm.R (run from the repository root).

The fixed-effects model matrices are built here with patsy (the design is not what is tested;
the estimator is), so R fits ``y ~ 0 + x1 + ... + (1 | g)`` on exactly these numbers.
Run: PYTHONPATH=src python tests/reference/make_lmm_ch5.py
"""

from pathlib import Path

import pandas as pd
import patsy

from reintegratie_stats import synth
from reintegratie_stats.multivariate.predictors import (
    analysis_frame,
    domain_formula,
    overall_formula,
)
from reintegratie_stats.statistics.lmm import patsy_frame

HERE = Path(__file__).parent
af = analysis_frame(synth.load_example().prisoners)
cases = {
    "overall": overall_formula(af.controls),
    "id": domain_formula("id", af.controls),
    "health": domain_formula("health", af.controls),
}
for name, f in cases.items():
    cols = [c for c in af.data.columns if c in f.replace("(", " ").replace(")", " ").split()]
    sub = af.data.dropna(subset=[*cols, "institution_id"])
    y, X = patsy.dmatrices(f, patsy_frame(sub), return_type="dataframe")
    out = pd.DataFrame({"y": y.iloc[:, 0].to_numpy(), "g": sub["institution_id"].astype(str)})
    for i, c in enumerate(X.columns):
        out[f"x{i + 1}"] = X[c].to_numpy()
    out.to_csv(HERE / f"lmm_ch5_{name}.csv", index=False, float_format="%.12g")
    print(name, out.shape, f)
