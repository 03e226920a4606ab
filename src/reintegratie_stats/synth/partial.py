"""Draw only the blocks of the twin one analysis needs (fast repeated draws for power studies).

Every block of the generator draws from its own random stream (``generate._rng``), so the
institutions, the registration and the family block of :func:`generate` can be drawn without
the contact, satisfaction, support and preparedness blocks and are the *same values* that
:func:`generate` gives for the same seed, sizes and parameters (tested).

Examples
--------
>>> from reintegratie_stats.synth import generate
>>> inst, pris = draw_family(seed=3, n_prisoners=200, n_institutions=8)
>>> full = generate(seed=3, n_prisoners=200, n_institutions=8, n_professionals=40)
>>> bool((pris["visits_children"].fillna(-1) == full.prisoners["visits_children"].fillna(-1)).all())
True
"""

from __future__ import annotations

import pandas as pd

from ..schema import load_codebook
from .generate import _canonical, _family, _institutions, _registration
from .params import SynthParams

__all__ = ["draw_family"]

_REGISTRATION = ("institution_id", "regime", "sex", "age", "weeks_detained", "prior_convictions")


def draw_family(
    seed: int = 2019,
    n_prisoners: int = 4100,
    n_institutions: int = 26,
    params: SynthParams | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The institutions table and the prisoners' registration and family columns.

    Parameters
    ----------
    seed, n_prisoners, n_institutions, params
        As :func:`generate` (``n_professionals`` does not change these blocks).

    Returns
    -------
    (institutions, prisoners) : tuple of DataFrame
        ``institutions`` is the canonical table; ``prisoners`` has ``institution_id``,
        ``regime``, ``sex``, ``age``, ``weeks_detained``, ``prior_convictions`` and the family
        columns (``has_children``, ``visits_children``, ``parent_child_day``, ...), equal to
        those of ``generate(seed, n_prisoners, n_institutions, params=params)``.
    """
    for name, val in (("n_prisoners", n_prisoners), ("n_institutions", n_institutions)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {val!r}")
    seed = int(seed)
    p = params or SynthParams()
    cb = load_codebook()
    inst, iv = _institutions(seed, n_institutions, p, cb)
    reg = _registration(seed, n_prisoners, inst, iv, p, cb)
    cols = {c: reg[c] for c in _REGISTRATION}
    cols.update(_family(seed, reg, inst, p, cb))
    institutions = _canonical(dict(inst.items()), "institutions", cb)
    return institutions, pd.DataFrame(cols)
