"""Use cases of the 40-year renewal-cost projection: `fm renewal` and `/api/renewal`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.domain import money
from fm.domain.renewal import projection as renewal
from fm.domain.renewal import report as report
from fm.domain.renewal.costs import SCENARIOS, UnitCost, load_unit_costs, with_unit_costs
from fm.domain.renewal.projection import GROUPS as GROUPS
from fm.io import store
from fm.model import RenewalUnitCost
from fm.serialize import records


def city_unit_costs(session: Session, path: Path | str | None = None) -> dict[str, Any]:
    """The unit costs and cycles the projection uses: the packaged ones with the city's unit costs (the table
    ``renewal_unit_costs``, ``fm import unit-costs``) over them; with ``path`` (``fm renewal --unit-costs``), that
    TOML file over the packaged ones instead, a what-if that leaves the table alone."""
    if path:
        return load_unit_costs(path)
    rows = session.scalars(sa.select(RenewalUnitCost))
    table = {r.category: UnitCost(r.refurbish_yen, r.renewal_yen, r.steel_renewal_yen) for r in rows}
    return with_unit_costs(load_unit_costs(), table)


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
            "annual_average": money.divide(total, years),
            "by_group": {g: int(table[g].sum()) for g in renewal.GROUPS},
        }
    saving = scenarios["simple"]["total"] - scenarios["extended"]["total"]
    return {
        "start": start,
        "years": years,
        "scenarios": scenarios,
        "difference": {"total": saving, "annual_average": money.divide(saving, years)},
        "not_projected": outside,
    }
