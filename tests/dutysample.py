"""The sample register (tests/sample.py) with two structures judged Ⅲ and Ⅳ, for the duty tests."""

from __future__ import annotations

from datetime import date

from sample import add_sample

from fm.db import Database
from fm.model import Inspection, WorkOrder


def add_judged(url: str) -> str:
    """B-001 judged Ⅳ on 2024-06-01; B-002 judged Ⅲ on 2020-05-01 (next due 2025-05-01), a renewal planned."""
    database = Database(url)
    with database.session() as session:
        ids = add_sample(session)
        session.add_all(
            [
                Inspection(asset_id=ids["B-001"], inspected_on=date(2024, 6, 1), soundness=4),
                Inspection(
                    asset_id=ids["B-002"], inspected_on=date(2020, 5, 1), soundness=3, next_due_on=date(2025, 5, 1)
                ),
                WorkOrder(
                    code="W-B2", asset_id=ids["B-002"], kind="renewal", status="planned", planned_on=date(2026, 6, 1)
                ),
            ]
        )
    database.dispose()
    return url
