"""Risk runs to and from the database, in bulk: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.model import RiskRun

EXPLAIN = ["state", "inspected_on", "years_since", "p_condition", "p_age", "age", "life", "remaining_years",
           "c_category", "c_users", "c_replacement_cost", "c_evacuation_shelter", "c_emergency_road", "c_railway",
           "c_district_population", "likelihood_class", "consequence_class"]
COLUMNS = ["run_id", "asset_id", "computed_on", "probability", "consequence", "score", "risk_class", "components"]


def write_run(session: Session, scores: pd.DataFrame, *, computed_on: date, config: dict[str, Any],
              model: dict[str, Any]) -> int:
    """Replace the run of ``computed_on`` with these scores; return the new run's id."""
    session.execute(sa.delete(RiskRun).where(RiskRun.computed_on == computed_on))
    run = RiskRun(computed_on=computed_on, config=config, model=model)
    session.add(run)
    session.flush()
    components = scores[EXPLAIN].assign(
        inspected_on=pd.to_datetime(scores["inspected_on"]).dt.strftime("%Y-%m-%d"),
    ).round(4).to_json(orient="records", lines=True, force_ascii=False).splitlines()
    rows = pd.DataFrame({
        "run_id": run.id, "asset_id": scores["id"], "computed_on": computed_on.isoformat(),
        "probability": scores["probability"].round(6), "consequence": scores["consequence"].round(6),
        "score": scores["score"].round(6), "risk_class": scores["risk_class"], "components": components,
    })
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        buffer = io.StringIO()
        rows.to_csv(buffer, index=False, header=False)
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY risk_scores ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
    else:
        cursor = connection.connection.driver_connection.cursor()
        cursor.executemany(f"INSERT INTO risk_scores ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                           rows.itertuples(index=False, name=None))
    return run.id


def read_latest(session: Session) -> tuple[RiskRun | None, pd.DataFrame]:
    """The latest run and its scores joined to the assets' code, name and category."""
    run = session.scalars(sa.select(RiskRun).order_by(RiskRun.computed_on.desc()).limit(1)).first()
    if run is None:
        return None, pd.DataFrame()
    query = sa.text(
        "SELECT a.id, a.code, a.name, a.category, a.district_id, s.probability, s.consequence, s.score, "
        "s.risk_class, s.components FROM risk_scores s JOIN assets a ON a.id = s.asset_id "
        "WHERE s.run_id = :run ORDER BY s.score DESC, a.code")
    result = session.execute(query, {"run": run.id})
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame["components"] = [c if isinstance(c, dict) else json.loads(c) for c in frame["components"]]
    return run, frame
