"""Writes survey_twin.csv: the default twin with unequal survey weights, for survey_twin.R.

The twin's own weight is 1 for everyone, so design-based and Kish answers would coincide on
the weights alone; here every prisoner gets a weight that varies between institutions
(nonresponse differs by institution) and within them (seeded), and institutions are put in
four strata. Two columns get some missing values, so that domains of respondents are tested.
Run once by hand from the repository root:

    PYTHONPATH=src /work/main/.venv/bin/python tests/reference/make_survey_twin.py

Columns: institution_id (26 PSUs), stratum (S1-S4, 6-7 institutions each), regime, weight,
contact_<type> (6), need_<domain> (6), sat_casemanager (1-5 among contact), has_children.
"""

from pathlib import Path

import numpy as np

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import load_example

SEED = 1226
cb = load_codebook()
p = load_example().prisoners
rng = np.random.default_rng(SEED)
inst = sorted(p["institution_id"].unique())
inst_factor = dict(zip(inst, rng.uniform(0.6, 1.8, len(inst)), strict=True))
stratum = {i: f"S{k % 4 + 1}" for k, i in enumerate(inst)}
w = p["institution_id"].map(inst_factor).to_numpy() * np.exp(rng.normal(0, 0.4, len(p)))
cols = (
    ["institution_id", "regime"]
    + [f"contact_{t}" for t in cb.professional_types]
    + [f"need_{d}" for d in cb.domains]
    + ["sat_casemanager", "has_children"]
)
out = p[cols].copy()
out.insert(1, "stratum", out["institution_id"].map(stratum))
out.insert(3, "weight", np.round(w, 6))
out.loc[rng.random(len(out)) < 0.05, "need_health"] = np.nan
out.loc[rng.random(len(out)) < 0.03, "contact_care"] = np.nan
for c in out.columns[4:]:
    out[c] = out[c].astype("Int64")  # 0/1 and 1-5 codes: "1", not "1.0" (smaller file)
out.to_csv(Path(__file__).with_name("survey_twin.csv"), index=False)
