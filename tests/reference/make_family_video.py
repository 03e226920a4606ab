"""Write family_video_calls.csv: the design of the chapter-4 family model for video calling.

The rows and (standardised) columns that ``multilevel.family_models`` fits for the outcome
``any_video_calls``, institutional model, on the default twin (``synth.load_example()``): the
motivating case of issue 12 (intercept -179,139, SE 47,851 before the separation check).
Input data for ``glmm_separation.R`` (R: brglm2::detect_separation, blme::bglmer), not expected
output. Run from the repository root: ``python tests/reference/make_family_video.py``.
"""

from pathlib import Path

import pandas as pd

from reintegratie_stats import multilevel as M
from reintegratie_stats import synth

ex = synth.load_example()
ms = M.family_models(ex.prisoners, ex.institutions, outcomes=("any_video_calls",))
d = ms.models[("any_video_calls", "institutional")].design
cols = {n: n.replace("[T.", "_").replace("]", "") for n in d.x_names if n != "Intercept"}
out = pd.DataFrame(d.X[:, 1:], columns=list(cols.values())).round(8)
out.insert(0, "y", d.y.astype(int))
out.insert(1, "g", [d.group_levels[c] for c in d.groups])
out.to_csv(Path(__file__).with_name("family_video_calls.csv"), index=False)
