"""Upload a file through the browser: store it aside, preview its import, then apply or cancel.

``POST /upload`` keeps the file under ``<instance>/uploads/<token>/`` (never served, never
executed; the request is limited to ``FM_UPLOAD_MAX_MB``, 413 past it), starts its preview in
the background and shows it at ``/upload/<token>``: what would be added and updated, or every
row-level problem of a refused file; while the preview runs, that page shows how far it has got
(``/upload/<token>/progress.json``, which the form's script, static/fm-upload.js, also polls while
it shows how much of the file has been sent). Apply imports it for real, all or nothing, for the role that
may change that kind of record; cancel deletes the file. See docs/upload.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from fm.app import exchange, uploads
from fm.app.forms import localise
from fm.config import Config
from fm.errors import ValidationError
from fm.web.auth import actor, check_write, writes
from fm.web.context import database, session
from fm.web.errors import error_response

pages = Blueprint("uploads", __name__)
SUBJECTS = uploads.KINDS
"""Each uploadable kind is changed by the roles that may change the subject of the same name."""


def _root() -> Path:
    return uploads.folder(current_app.config["FM"].instance_path)


def _limit_mb() -> int:
    return current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)


@pages.get("/upload")
def index() -> str:
    """The upload form: the kind of records and the file."""
    return render_template(
        "upload.html",
        kinds=_kinds(),
        chosen=request.args.get("kind", ""),
        limit=_limit_mb(),
        formats=sorted(uploads.FORMATS),
    )


@pages.post("/upload")
@writes(*SUBJECTS)
def create() -> Any:
    """Keep the file and show what importing it would do."""
    kind = request.form.get("kind", "")
    if kind not in SUBJECTS:
        raise ValidationError(_("Choose what the file holds: %(kinds)s.", kinds=", ".join(SUBJECTS)))
    check_write(kind)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return render_template(
            "upload.html",
            kinds=_kinds(),
            chosen=kind,
            limit=_limit_mb(),
            formats=sorted(uploads.FORMATS),
            error=_("Choose a file to upload."),
        ), 400
    try:
        upload = uploads.save(_root(), kind, sent.filename, sent.stream, owner=actor(), part=request.form.get("part"))
    except ValidationError as exc:
        if _wants_json():
            return jsonify({"error": str(exc)}), 400
        return render_template(
            "upload.html",
            kinds=_kinds(),
            chosen=kind,
            limit=_limit_mb(),
            formats=sorted(uploads.FORMATS),
            error=str(exc),
        ), 400
    uploads.start_preview(database().session, upload)
    there = url_for("uploads.preview", token=upload.token)
    if _wants_json():
        return jsonify({"preview": there, "progress": url_for("uploads.progress", token=upload.token)}), 202
    return redirect(there)


def _wants_json() -> bool:
    """The upload form's script (static/fm-upload.js) asks for JSON: where to follow the preview, or the error."""
    return request.accept_mimetypes.best == "application/json"


@pages.get("/upload/<token>")
def preview(token: str) -> Any:
    """What the upload would add and update (nothing is written), or why it is refused; while the preview
    runs, how far it has got (the page follows it, and shows the preview when it is ready)."""
    upload = uploads.find(_root(), token, owner=actor())
    state = uploads.progress_of(upload)
    if state["state"] == "none":  # kept by an earlier version, or its preview's record is gone: check it again
        uploads.start_preview(database().session, upload)
    if state["state"] != "done":
        uploads.wait_for_preview(upload, current_app.config["FM"].figures_wait)
        state = uploads.progress_of(upload)
    result = uploads.kept_preview(upload) if state["state"] == "done" else None
    if result is None:
        return render_template("upload_progress.html", upload=upload, progress=_progress(upload, state)), (
            500 if state["state"] == "failed" else 202
        )
    return render_template(
        "upload_preview.html", result=result, may_apply=uploads.may_write(current_user.role, upload.kind)
    ), (422 if result["refused"] else 200)


@pages.get("/upload/<token>/progress.json")
def progress(token: str) -> Response:
    """How far the preview of the upload has got, for the page that follows it (JSON). While the preview runs in
    this process the answer waits up to :data:`HELD` seconds for it to end, so the page hears of the end at once
    (and, answered that late, asks again at once: static/fm-upload.js)."""
    upload = uploads.find(_root(), token, owner=actor())
    state = uploads.progress_of(upload)
    if state["state"] == "running":
        uploads.wait_for_preview(upload, HELD)
        state = uploads.progress_of(upload)
    return jsonify(_progress(upload, state))


HELD = 0.4
"""Seconds a progress question waits for the preview to end: the page's interval between two questions."""


def _progress(upload: uploads.Upload, state: dict[str, Any]) -> dict[str, Any]:
    stages = {
        "waiting": _("Waiting to start"),
        "reading the file": _("Reading the file"),
        "checking every row": _("Checking every row"),
        "comparing with the stored records": _("Comparing with the stored records"),
        "writing": _("Listing what would change"),
        "done": _("Done"),
        "failed": _("Failed"),
    }
    message = state["message"]
    return {
        **state,
        "label": stages.get(state["stage"], state["stage"]),
        "message": None if message is None else localise(message.replace(str(upload.path), upload.name), _),
        "preview": url_for("uploads.preview", token=upload.token),
    }


@pages.post("/upload/<token>/apply")
@writes(*SUBJECTS)
def apply(token: str) -> Any:
    """Import the upload for real, all or nothing; refused if the records changed since the preview."""
    upload = uploads.find(_root(), token, owner=actor())
    check_write(upload.kind)
    try:
        with session() as active:
            result = uploads.apply(active, upload, actor=actor())
    except uploads.Changed as exc:
        with session() as active:  # the new preview, from the database as it is now
            fresh = uploads.preview(active, upload)
        return render_template(
            "upload_preview.html",
            result=fresh,
            changed=str(exc),
            may_apply=uploads.may_write(current_user.role, upload.kind),
        ), 409
    uploads.discard(upload)
    flash(
        _(
            "%(file)s imported: %(added)s added, %(updated)s updated, %(unchanged)s unchanged.",
            file=upload.name,
            added=result["added"],
            updated=result["updated"],
            unchanged=result["unchanged"],
        )
    )
    for move in result.get("moves", []):
        flash(
            _(
                "work order %(code)s moved from asset %(old)s to %(new)s",
                code=move["code"],
                old=move["from"],
                new=move["to"],
            )
        )
    return redirect(url_for("uploads.index"))


@pages.post("/upload/<token>/cancel")
@writes(*SUBJECTS)
def cancel(token: str) -> Response:
    """Forget the upload: its file is deleted, nothing was written."""
    upload = uploads.find(_root(), token, owner=actor())
    uploads.discard(upload)
    flash(_("%(file)s cancelled: nothing was imported and the file is deleted.", file=upload.name))
    return redirect(url_for("uploads.index"))


def _names() -> dict[str, str]:
    return {
        "assets": _("Asset register"),
        "parcels": _("Land parcels"),
        "inspections": _("Inspections"),
        "work_orders": _("Work orders"),
        "services": _("Services"),
        "service_buildings": _("Services in buildings"),
        "service_usage": _("Service usage"),
        "population": _("Population"),
    }


@pages.context_processor
def words() -> dict[str, Any]:
    """The names of the kinds of records and of their fields (the import format's headers), for the templates."""
    ja = str(get_locale()) == "ja"
    fields = {
        kind: {c.name: c.ja if ja else c.name for c in exchange.KINDS[kind].columns} | {"geom": _("geometry")}
        for kind in SUBJECTS
    }
    return {"kind_names": _names(), "field_names": fields, "problem_text": lambda message: localise(message, _)}


@pages.app_template_filter("place")
def place(row: str) -> str:
    """Where a row is in the file (the importer's ``line 5``, ``row 7``, ``feature 3``) in the page's language.

    The three words are translated once per request (a preview page places 2,000 rows: a look-up of the
    catalogue for each was half of the page's CPU)."""
    found = _PLACE.fullmatch(row or "")
    if found is None:
        return row
    word, number = found.groups()
    if "fm_places" not in g:
        g.fm_places = {"feature": _("feature %(n)s"), "line": _("line %(n)s"), "row": _("row %(n)s")}
    return g.fm_places[word] % {"n": number}


_PLACE = re.compile(r"(line|row|feature) ([0-9]+)")


def _kinds() -> list[dict[str, Any]]:
    names = _names()
    role = getattr(current_user, "role", None)  # the 413 page can come before the sign-in check
    return [{"code": k, "name": names[k], "allowed": uploads.may_write(role, k)} for k in SUBJECTS]


def _too_large(exc: RequestEntityTooLarge) -> Any:
    message = _(
        "The file is larger than %(mb)s MB, the most fm accepts (FM_UPLOAD_MAX_MB). Split it, or ask an "
        "administrator to raise the limit.",
        mb=_limit_mb(),
    )
    if request.path.startswith("/api/"):
        return error_response(413, message)
    return render_template(
        "upload.html", kinds=_kinds(), chosen="", limit=_limit_mb(), formats=sorted(uploads.FORMATS), error=message
    ), 413


def init_app(app: Flask, config: Config) -> None:
    """The upload pages, the request size limit and its 413 page."""
    app.config["MAX_CONTENT_LENGTH"] = config.upload_max_mb * 1024 * 1024
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_blueprint(pages)
