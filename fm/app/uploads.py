"""Use cases of the browser upload: keep a file aside, preview its import, then apply or cancel it.

An upload is stored as ``<instance>/uploads/<token>/<safe name>`` beside ``upload.json``
(its kind, original name, owner, time and the preview's digest). The folder is never
served and nothing in it is executed: the importer only reads it. Nothing is written to
the database until :func:`apply`, which runs the import for real in the caller's
transaction and refuses (the transaction rolls back) when what it would write is not what
the preview showed. Uploads older than :data:`STALE` are removed whenever a new one is stored.

A preview of a large file takes seconds, so :func:`start_preview` runs it in a thread of its own: its progress
(the importer's stages, :mod:`fm.progress`) goes to ``progress.json`` beside the file and its result to
``preview.json``, which :func:`progress_of` and :func:`kept_preview` read from any request (and any process).
The job always ends in ``done`` or ``failed``; one that stops saying anything for :data:`LOST` seconds (its
process was stopped) is reported as failed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from fm import progress, serialize
from fm.accounts.roles import may_write as may_write
from fm.errors import Conflict, FmError, NotFound, ValidationError
from fm.io import files, importer, store
from fm.io.files import FORMATS as FORMATS
from fm.io.problems import Rejected

KINDS = (
    "assets",
    "parcels",
    "inspections",
    "work_orders",
    "services",
    "service_buildings",
    "service_usage",
    "population",
)
"""What a user may upload; the role that may apply each is the one that may change it (fm.accounts.roles)."""
STALE = 24 * 3600
"""Seconds after which a stored upload is removed (when the next one is stored)."""
META = "upload.json"
PROGRESS = "progress.json"
"""Beside the file: how far its preview has got (``state`` running, done or failed; ``stage``, ``step`` of
``steps``, seconds since it started; a failed one's ``message``)."""
RESULT = "preview.json"
"""Beside the file: the result of its latest preview."""
LOST = 600
"""Seconds without news after which a running preview is taken for lost (the process that ran it stopped)."""
log = logging.getLogger(__name__)
_running: dict[str, threading.Event] = {}
"""Token → set when that preview, started by this process, has ended."""
_discarded: set[str] = set()
"""Tokens cancelled while their preview ran here: their folder is removed again when it ends."""
_guard = threading.Lock()
LISTED = 1000
"""The most problems a refused preview lists (and twice as many records added or updated a good one
lists); its counts cover them all."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")


@dataclass(frozen=True)
class Upload:
    """A stored upload: where it is and what it is for."""

    token: str
    kind: str
    name: str
    """The file's original name, as the user's browser sent it (shown, never used as a path)."""
    path: Path
    owner: str
    stored_at: str
    digest: str | None = None
    part: str | None = None
    """The GeoPackage layer or Excel sheet to read, when the file has several (``--layer`` / ``--sheet``)."""


class Changed(Conflict):
    """The database changed since the preview: the import would now write something else."""

    def __init__(self, preview: dict[str, Any]) -> None:
        self.preview = preview
        super().__init__(
            "the records changed since the preview, so the import would now write something else; "
            "nothing was written. Check the new preview and apply again."
        )


def folder(instance: Path) -> Path:
    """Where uploads are kept (made on first use, readable by this user only)."""
    path = instance / "uploads"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def save(root: Path, kind: str, filename: str, stream: IO[bytes], *, owner: str, part: str | None = None) -> Upload:
    """Keep an uploaded file under a new random token; first remove the stale uploads.

    The name is reduced to safe characters (the extension kept: one fm imports), so the path
    is always ``root/<token>/<name>``.
    """
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    remove_stale(root)
    suffix = Path(filename or "").suffix.lower()
    if suffix not in files.FORMATS:
        raise ValidationError(
            f"{filename or 'the file'}: fm imports .gpkg, .geojson, .csv and .xlsx files, "
            f"not {suffix or 'files without an extension'}"
        )
    stem = secure_filename(Path(filename).stem)[:80] or "upload"
    token = secrets.token_urlsafe(24)
    place = root / token
    place.mkdir(mode=0o700)
    path = place / f"{stem}{suffix}"
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out)
    path.chmod(0o600)
    upload = Upload(
        token, kind, Path(filename).name, path, owner, datetime.now(UTC).isoformat(), part=(part or "").strip() or None
    )
    _write_meta(upload)
    return upload


def find(root: Path, token: str, *, owner: str) -> Upload:
    """The upload ``token`` of ``owner`` (NotFound for any other token or owner: one cannot tell them apart)."""
    meta = root / token / META
    if not _TOKEN.fullmatch(token) or not meta.is_file():
        raise NotFound("this upload is no longer kept (applied, cancelled or over a day old): upload the file again")
    data = json.loads(meta.read_text(encoding="utf-8"))
    if data["owner"] != owner:
        raise NotFound("this upload is no longer kept (applied, cancelled or over a day old): upload the file again")
    return Upload(
        token,
        data["kind"],
        data["name"],
        root / token / data["file"],
        data["owner"],
        data["stored_at"],
        data.get("digest"),
        data.get("part"),
    )


def discard(upload: Upload) -> None:
    """Remove an upload's folder and everything in it (again when its preview, still running here, ends)."""
    with _guard:
        if upload.token in _running:
            _discarded.add(upload.token)
    shutil.rmtree(upload.path.parent, ignore_errors=True)


def remove_stale(root: Path, *, now: float | None = None) -> int:
    """Remove uploads stored more than :data:`STALE` seconds ago; how many."""
    now = time.time() if now is None else now
    removed = 0
    for place in root.iterdir():
        if place.is_dir() and now - place.stat().st_mtime > STALE:
            shutil.rmtree(place, ignore_errors=True)
            removed += 1
    return removed


def preview(session: Session, upload: Upload, *, today: date | None = None) -> dict[str, Any]:
    """What importing the upload would do, written nowhere: counts and the rows added and updated, or
    (``refused``) every problem of the file. Its digest is kept with the upload for :func:`apply`, and the
    result beside it (:func:`kept_preview`: the preview page shows the latest, e.g. the one a refused apply made)."""
    result = _run(session, upload, dry_run=True, today=today)
    _write_meta(Upload(**{**upload.__dict__, "digest": result.get("digest")}))
    _atomic(upload.path.parent / RESULT, serialize.to_json(result, compact=True))  # what the preview page shows
    return result


def start_preview(
    opener: Callable[[], AbstractContextManager[Session]], upload: Upload, *, today: date | None = None
) -> None:
    """Preview ``upload`` in a thread of its own, with a session from ``opener``; its progress and result are
    kept beside the file (:func:`progress_of`, :func:`kept_preview`). Nothing is written to the database."""
    with _guard:
        if upload.token in _running:
            return
        _running[upload.token] = threading.Event()
    (upload.path.parent / RESULT).unlink(missing_ok=True)
    _state(upload, state="running", stage="waiting", step=0, steps=4, started=time.time())
    threading.Thread(
        target=_preview_job, args=(opener, upload, today), name=f"fm-upload-{upload.token[:8]}", daemon=True
    ).start()


def _preview_job(opener: Callable[[], AbstractContextManager[Session]], upload: Upload, today: date | None) -> None:
    started = time.time()

    def reporter(what: str, done: int, total: int) -> None:
        _state(upload, state="running", stage=what, step=done, steps=total, started=started)

    try:
        with progress.reporting(reporter), opener() as session:
            preview(session, upload, today=today)
        _state(upload, state="done", stage="done", step=4, steps=4, started=started)
    except BaseException as error:  # whatever happens, the page waiting for it hears that it ended
        if upload.path.parent.is_dir():
            log.exception("preview of upload %s failed", upload.token)
        message = str(error) if isinstance(error, FmError) else f"{type(error).__name__}: {error}"
        if upload.path.parent.is_dir():  # not cancelled meanwhile
            _state(upload, state="failed", stage="failed", step=0, steps=4, started=started, message=message)
    finally:
        with _guard:
            event = _running.pop(upload.token, None)
            if upload.token in _discarded:
                _discarded.discard(upload.token)
                shutil.rmtree(upload.path.parent, ignore_errors=True)
        if event is not None:
            event.set()


def wait_for_preview(upload: Upload, seconds: float | None) -> None:
    """Wait at most ``seconds`` (None: until it ends) for the preview this process runs of ``upload``."""
    with _guard:
        event = _running.get(upload.token)
    if event is not None:
        event.wait(seconds)


def progress_of(upload: Upload, *, now: float | None = None) -> dict[str, Any]:
    """How far the preview of ``upload`` has got: ``state`` (``running``, ``done``, ``failed``, or ``none``
    when no preview was started or its record is gone), ``stage``, ``step`` of ``steps``, ``seconds`` since
    it started, and a failed one's ``message``."""
    path = upload.path.parent / PROGRESS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        changed = path.stat().st_mtime
    except (OSError, ValueError):
        return {"state": "none", "stage": "", "step": 0, "steps": 4, "seconds": 0, "message": None}
    now = time.time() if now is None else now
    if data["state"] == "done" and not (upload.path.parent / RESULT).is_file():
        data = {**data, "state": "none"}
    elif data["state"] == "running" and now - changed > LOST:
        data = {
            **data,
            "state": "failed",
            "message": "the check of the file stopped without finishing (was the server restarted?); "
            "nothing was written. Upload the file again.",
        }
    return {
        "state": data["state"],
        "stage": data["stage"],
        "step": data["step"],
        "steps": data["steps"],
        "seconds": round(max(0.0, now - data["started"]), 1),
        "message": data.get("message"),
    }


def kept_preview(upload: Upload) -> dict[str, Any] | None:
    """The result of the latest preview of ``upload`` (:func:`start_preview`), or None if there is none."""
    try:
        return json.loads((upload.path.parent / RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _state(upload: Upload, **state: Any) -> None:
    _atomic(upload.path.parent / PROGRESS, json.dumps(state, ensure_ascii=False))


def _atomic(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a reader never sees half of it)."""
    partial = path.with_name(f".{path.name}.{threading.get_ident()}")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.chmod(0o600)
        os.replace(partial, path)
    except FileNotFoundError:  # the upload was cancelled meanwhile: nothing to keep
        partial.unlink(missing_ok=True)


def apply(session: Session, upload: Upload, *, actor: str, today: date | None = None) -> dict[str, Any]:
    """Import the upload for real, all or nothing, in the caller's transaction; then remove the file.

    Raises :class:`Changed` (carrying the new preview; the caller's transaction must roll back)
    when the import would write something other than what the preview showed, and
    :class:`~fm.io.problems.Rejected` when the file is now refused.
    """
    if upload.digest is None:
        raise ValidationError(
            "this upload has not been previewed, or its preview refused the file: there is nothing to apply"
        )
    result = _run(session, upload, dry_run=False, today=today, actor=actor)
    if result["refused"] or result["digest"] != upload.digest:
        raise Changed({**result, "dry_run": True})
    return result


def _run(
    session: Session, upload: Upload, *, dry_run: bool, today: date | None, actor: str | None = None
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "dry_run": dry_run,
        "today": today,
        "details": 2 * LISTED,
        "layer": upload.part,
        "sheet": upload.part,
    }
    if actor is not None:
        options["actor"] = actor
    base = {"kind": upload.kind, "file": upload.name, "token": upload.token}
    try:
        result = importer.import_file(session, upload.kind, upload.path, **options)
    except Rejected as exc:
        problems = [p.__dict__ for p in exc.details]
        return {
            **base,
            "refused": True,
            "problems": problems[:LISTED],
            "problem_count": len(problems),
            "added": 0,
            "updated": 0,
            "unchanged": 0,
            "rows": [],
            "digest": None,
            "dry_run": dry_run,
        }
    except FmError as exc:  # a file that cannot be read at all, or a rule of the database
        message = (
            str(exc)
            .replace(str(upload.path), upload.name)
            .replace(upload.path.name, upload.name)
            .replace("choose one with --layer", "give its name under “layer or sheet”")
            .replace("choose one with --sheet", "give its name under “layer or sheet”")
        )
        return {
            **base,
            "refused": True,
            "problems": [{"row": "", "field": "", "value": "", "message": message}],
            "problem_count": 1,
            "added": 0,
            "updated": 0,
            "unchanged": 0,
            "rows": [],
            "digest": None,
            "dry_run": dry_run,
        }
    rows = _named(session, result.pop("rows"))
    return {**base, **result, "file": upload.name, "refused": False, "problems": [], "problem_count": 0, "rows": rows}


def _named(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ids in the changes as the codes users know (districts, assets)."""
    fields = {field for row in rows for field in row["changes"]}
    lookups = {}
    if "district_id" in fields:
        lookups["district_id"] = ("district", store.read_table(session, "districts", ["id", "code"]))
    if "asset_id" in fields:
        lookups["asset_id"] = ("asset_code", store.read_table(session, "assets", ["id", "code"]))
    if not lookups:
        return rows
    codes = {
        field: (name, dict(zip(table["id"], table["code"], strict=True))) for field, (name, table) in lookups.items()
    }
    named = []
    for row in rows:
        changes = {}
        for field, (old, new) in row["changes"].items():
            if field in codes:
                name, by_id = codes[field]
                changes[name] = [by_id.get(old, old), by_id.get(new, new)]
            else:
                changes[field] = [old, new]
        named.append({**row, "changes": changes})
    return named


def _write_meta(upload: Upload) -> None:
    data = {
        "kind": upload.kind,
        "name": upload.name,
        "file": upload.path.name,
        "owner": upload.owner,
        "stored_at": upload.stored_at,
        "digest": upload.digest,
        "part": upload.part,
    }
    # whole or not at all: the page following the preview reads it meanwhile
    _atomic(upload.path.parent / META, json.dumps(data, ensure_ascii=False))


def problems_frame(result: dict[str, Any]) -> pd.DataFrame:
    """A refused preview's problems as a table (row, field, value, message)."""
    return pd.DataFrame(result["problems"], columns=["row", "field", "value", "message"])
