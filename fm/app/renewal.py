"""Use cases of the 40-year renewal-cost projection: `fm renewal` and `/api/renewal`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fm.domain.renewal import projection as renewal
from fm.domain.renewal import report as report
from fm.domain.renewal.costs import SCENARIOS
from fm.domain.renewal.costs import load_unit_costs as load_unit_costs
from fm.domain.renewal.projection import GROUPS as GROUPS
from fm.io import store
from fm.serialize import records


def renewal_projection(session: Session, *, start: int, years: int = 40, unit_costs: dict[str, Any]) -> dict[str, Any]:
    """Both scenarios of the renewal-cost projection, their totals and the saving of life extension."""
    assets = store.read_assets(session, columns=renewal.COLUMNS)
    scenarios = {}
    for scenario in SCENARIOS:
        table, outside = renewal.project_renewal(assets, unit_costs, scenario=scenario, start=start, years=years)
        total = int(table["total"].sum())
        scenarios[scenario] = {
            "rows": records(table),
            "total": total,
            "annual_average": round(total / years),
            "by_group": {g: int(table[g].sum()) for g in renewal.GROUPS},
        }
    saving = scenarios["simple"]["total"] - scenarios["extended"]["total"]
    return {
        "start": start,
        "years": years,
        "scenarios": scenarios,
        "difference": {"total": saving, "annual_average": round(saving / years)},
        "not_projected": outside,
    }
