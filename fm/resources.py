"""Where fm's files are: the top-level ``migrations/`` and ``templates/`` folders, installed or not, and the
web app's static files.

A wheel carries them inside the package (``fm/_resources``, see pyproject.toml);
an editable install or a source checkout finds them beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
STATIC = _PACKAGE / "web" / "static"
"""The web app's CSS, scripts and vendored Leaflet; standalone maps inline them."""


def resource_path(name: str) -> Path:
    """Return the folder ``name`` (``"migrations"`` or ``"templates"``)."""
    for candidate in (_PACKAGE / "_resources" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"fm is installed without its {name}/ folder")
