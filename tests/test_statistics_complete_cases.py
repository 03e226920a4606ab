"""Listwise deletion with an account of every row left out (counted by hand)."""

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.statistics.complete_cases import complete_cases


def test_counts_rows_once_and_per_variable():
    d = pd.DataFrame({"y": [1, np.nan, 0, 1, np.nan], "x": [1.0, np.nan, np.nan, 2, 3], "z": 1})
    cc = complete_cases(d, ["y", "x", "y"])
    assert list(cc.frame.index) == [0, 3]
    assert (cc.n_input, cc.n_excluded) == (5, 3)
    assert cc.excluded_by == {"y": 2, "x": 2}
    assert cc.note()["rows excluded (missing values)"] == "3 (y: 2, x: 2)"
    assert list(cc.frame.columns) == ["y", "x"]


def test_bad_input_names_the_column():
    d = pd.DataFrame({"y": [np.nan, np.nan]})
    with pytest.raises(ValueError, match="'age'"):
        complete_cases(d, ["age"])
    with pytest.raises(ValueError, match="most often in 'y': 2 rows"):
        complete_cases(d, ["y"])
    assert complete_cases(d, ["y"], allow_empty=True).frame.empty
