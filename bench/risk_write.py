"""Writing a run of scores on PostgreSQL: fm's partition swap against writing only the rows that changed.

On a register already scored (``--database-url``, e.g. the 1,000,000 assets of ``bench/risk.py``), scores every
asset once (read, models, score), then times, each in a transaction rolled back afterwards (the database is left
as it was):

- **swap, new day**: :func:`fm.io.risk.write_run` for a day not scored yet (every row new): COPY into a new table,
  key and indexes built after, attached as the run's partition;
- **swap, same day**: the same for the day of the latest run (its partition dropped, the new one attached);
- **merge, same day**, with no row changed and with ``--changed`` of the rows changed: the scores copied (the same
  binary COPY) into a temporary table, then one ``UPDATE … FROM … WHERE (…) IS DISTINCT FROM (…)`` of the latest
  run's partition, an ``INSERT … ON CONFLICT DO NOTHING`` of the new assets and a ``DELETE`` of the gone ones:
  the latest run's rows kept, the indexes maintained row by row.

A merge keeps the run's id, so it cannot replace a run the way fm does (a new run, with its own id and audit entry,
the old one's partition dropped: tests/io/test_risk_runs.py), and for a new day every row is new anyway; it is
timed to show what it would save.

    python bench/risk_write.py --database-url postgresql+psycopg://…/db [--changed 0.01]
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import closing
from datetime import date, timedelta

import numpy as np
import sqlalchemy as sa
from psycopg.copy import QueuedLibpqWriter

from fm.app import risk
from fm.db import Database
from fm.domain.risk.config import load_config
from fm.domain.risk.score import score_risk
from fm.io import risk as risk_store
from fm.io.bulk import copy_binary
from fm.model import RiskRun


def merge(session, scores, run_id: int) -> str:
    """The latest run's partition brought to ``scores`` by writing only the rows that differ."""
    child = risk_store.partition_name(run_id)
    frame = scores.assign(run_id=run_id, asset_id=scores["id"].astype("int64"))[risk_store.COLUMNS]
    values = [name for name in risk_store.FROM_SCORES]
    with closing(session.connection().connection.driver_connection.cursor()) as cursor:
        cursor.execute("CREATE TEMPORARY TABLE new_scores (LIKE risk_scores) ON COMMIT DROP")
        with cursor.copy(
            f"COPY new_scores ({', '.join(risk_store.COLUMNS)}) FROM STDIN WITH (FORMAT binary)",
            writer=QueuedLibpqWriter(cursor),
        ) as copy:
            for part in copy_binary(frame, risk_store.TYPES):
                copy.write(part)
        cursor.execute("ANALYZE new_scores")
        cursor.execute(
            f"UPDATE {child} t SET {', '.join(f'{v} = s.{v}' for v in values)} FROM new_scores s "
            f"WHERE t.asset_id = s.asset_id AND ({', '.join(f't.{v}' for v in values)}) "
            f"IS DISTINCT FROM ({', '.join(f's.{v}' for v in values)})"
        )
        updated = cursor.rowcount
        cursor.execute(f"INSERT INTO {child} SELECT * FROM new_scores s ON CONFLICT (run_id, asset_id) DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {child} t WHERE NOT EXISTS (SELECT FROM new_scores s WHERE s.asset_id = t.asset_id)"
        )
        return f" ({updated:,} rows updated, {inserted:,} inserted, {cursor.rowcount:,} deleted)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostGIS database holding a scored register")
    parser.add_argument("--changed", type=float, default=0.01, help="share of the rows changed in the second merge")
    args = parser.parse_args()
    database = Database(args.database_url)
    config = load_config()
    with database.session() as session:
        latest = risk_store.latest_run(session)
        if latest is None:
            raise SystemExit("score the register first (fm score)")
        day, run_id = latest.computed_on, latest.id
        inputs = risk.score_inputs(session, as_of=day, config=config)
        models, _, _ = risk.scoring_models(session, inputs, as_of=day, config=config)
        scores = score_risk(
            inputs["assets"],
            inputs["states"],
            models,
            inputs["categories"],
            inputs["districts"],
            inputs["network"],
            config=config,
            as_of=day,
            repairs=inputs["repairs"],
        )
    print(f"{len(scores):,} scores of {day} (latest run {run_id}), load {os.getloadavg()[0]:.1f}", flush=True)
    changed = scores.copy()
    rows = np.random.default_rng(1).choice(len(changed), int(len(changed) * args.changed), replace=False)
    changed.loc[changed.index[rows], "score"] = changed["score"].to_numpy()[rows] * 1.01
    new_day = max(day, date.today()) + timedelta(days=1)
    cases = [
        (
            f"swap, new day ({new_day}: every row new)",
            lambda s: risk_store.write_run(s, scores, computed_on=new_day, config={}, model={}),
        ),
        (f"swap, same day ({day})", lambda s: risk_store.write_run(s, scores, computed_on=day, config={}, model={})),
        ("merge, same day, no row changed", lambda s: merge(s, scores, run_id)),
        (f"merge, same day, {args.changed:.0%} of the rows changed", lambda s: merge(s, changed, run_id)),
    ]
    for label, action in cases:
        with database.session() as session:
            session.scalar(sa.select(sa.func.count()).select_from(RiskRun))  # the transaction begun
            started = time.perf_counter()
            said = action(session)
            session.flush()
            spent = time.perf_counter() - started
            print(f"  {label}: {spent:.2f} s (load {os.getloadavg()[0]:.1f}){said if isinstance(said, str) else ''}")
            session.rollback()
    database.dispose()


if __name__ == "__main__":
    main()
