"""Reading tables into frames gives Python values by the column's type on both backends."""

from __future__ import annotations

from datetime import date

import numpy as np
from iosample import seed

from fm.db import Database
from fm.io import store


def test_dates_and_flags_come_back_typed(db_url):
    """On SQLite dates are stored as text and flags as 0/1: a read must convert them, as on PostGIS."""
    seed(db_url)
    database = Database(db_url)
    with database.session() as session:
        orders = store.read_table(session, "work_orders", ["code", "planned_on", "completed_on"])
        assets = store.read_assets(session, columns=("code", "is_evacuation_shelter", "acquisition_date"))
    database.dispose()
    assert orders.set_index("code").loc["W-002", "planned_on"] == date(2027, 4, 1)
    assert assets["is_evacuation_shelter"].map(lambda v: isinstance(v, (bool, np.bool_))).all()
    assert assets.set_index("code").loc["S-001", "is_evacuation_shelter"]
    assert isinstance(assets.set_index("code").loc["P-001", "acquisition_date"], date)
