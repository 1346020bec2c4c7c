"""Settings files in TOML: packaged defaults overlaid with a user's file, every problem gathered."""

from __future__ import annotations

import copy
import hashlib
import os
import tomllib
from pathlib import Path
from typing import Any

from fm.errors import ValidationError

USER_FILES = ("FM_RISK_CONFIG", "FM_INTERVENTIONS", "FM_PORTFOLIO", "FM_DUTIES")
"""The settings that name a user's file laid over packaged defaults (each loader reads its own)."""


def load_overlaid(default: Path, path: Path | str | None, what: str) -> tuple[dict[str, Any], list[str]]:
    """The defaults of ``default`` with the keys of ``path`` over them, and the problems found.

    A user's file may hold only the keys it changes; unknown keys are problems. A file that
    cannot be read or is not TOML raises a ValidationError at once, naming ``what``.
    """
    with open(default, "rb") as handle:
        settings = tomllib.load(handle)
    if not path:
        return settings, []
    try:
        with open(path, "rb") as handle:
            user = tomllib.load(handle)
    except OSError as exc:
        raise ValidationError(f"{what} {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{what} {path}: not valid TOML ({exc})") from None
    settings = copy.deepcopy(settings)
    return settings, _overlay(settings, user, "")


def _overlay(base: dict[str, Any], user: dict[str, Any], prefix: str) -> list[str]:
    problems = []
    for key, value in user.items():
        name = f"{prefix}{key}"
        if key not in base:
            problems.append(f"unknown key {name!r} (known: {', '.join(sorted(base))})")
        elif isinstance(base[key], dict):
            if isinstance(value, dict):
                problems += _overlay(base[key], value, f"{name}.")
            else:
                problems.append(f"{name!r} must be a table [{name}]")
        else:
            base[key] = value
    return problems


def fingerprint() -> str:
    """SHA-256 of every packaged settings file and of each user's file named by :data:`USER_FILES`: figures computed
    under other settings are not reused after a change to any of them (fm/app/stored_figures.py)."""
    digest = hashlib.sha256()
    for default in sorted(Path(__file__).parent.rglob("*.toml")):
        digest.update(f"{default.relative_to(Path(__file__).parent)}\0".encode() + default.read_bytes() + b"\0")
    for name in USER_FILES:
        path = os.environ.get(name)
        digest.update(f"{name}={path}\0".encode())
        if path and os.path.isfile(path):
            digest.update(Path(path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
