"""The demo draws its money in whole yen: a service's operating cost is area × a whole-yen unit cost × the yearly
growth, formed in integers and rounded once, half up, to the thousand yen (never a float product rounded)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from fm.demo.services import COST_PER_M2, FIRST_FY, LAST_FY, _usage


def test_operating_costs_are_whole_thousands_computed_in_integers():
    # 0.205 m² is meant as written (the float is 0.2049999999999999877…); the areas add up as decimals.
    housed = pd.DataFrame(
        {
            "service_code": ["SV-1", "SV-2", "SV-2"],
            "annual_users": [100, 50, 50],
            "user_share": [1.0, 0.5, 0.5],
            "floor_area_m2": [1_234.5, 0.1, 0.205],
            "kind": ["library", "school", "school"],
            "district_id": [1, 1, 1],
            "disposed_on": [None, None, None],
        }
    )
    ids = pd.Series({"SV-1": 1, "SV-2": 2})
    found = _usage(np.random.default_rng(0), housed, ids)
    assert found["operating_cost"].dtype == "int64" and len(found) == 2 * (LAST_FY - FIRST_FY + 1)
    # The unit costs drawn: the same generator, the same draws after `level` (one float a service).
    rng = np.random.default_rng(0)
    rng.uniform(0.7, 1.2, 2)
    typical = np.array([COST_PER_M2["library"], COST_PER_M2["school"]])
    unit = rng.integers(typical * 85 // 100, typical * 115 // 100, endpoint=True)
    assert all(typical * 85 // 100 <= unit) and all(unit <= typical * 115 // 100)
    area = [Decimal("1234.5"), Decimal("0.1") + Decimal("0.205")]
    for row in found.itertuples():
        i, k = row.service_id - 1, row.fiscal_year - FIRST_FY
        exact = Fraction(area[i]) * int(unit[i]) * Fraction(1012, 1000) ** k / 1000
        assert row.operating_cost == 1000 * math.floor(exact + Fraction(1, 2)), row
