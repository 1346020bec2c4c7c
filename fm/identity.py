"""What tells one fm apart from another: the Python that runs it and its package's modules on disk.

The command server runs a client's command only when it shares this (fm/cli/client.py), and figures kept in the
database are used only by the fm that computed them (fm/app/stored_figures.py). It imports only ``os`` and ``sys``:
the command server's client reads it before anything else of fm.
"""

from __future__ import annotations

import os
import sys


def identity() -> str:
    """The Python, the fm package on disk (its folder and each module's size and modification time) and the
    ``PYTHON*`` settings Python read at start-up: compared whole, so that a command never runs in another fm."""
    package = os.path.dirname(os.path.abspath(__file__))
    python = f"{os.path.realpath(sys.executable)}\0{sys.prefix}\0{sys.version}"  # `python` and `python3` alike
    parts = [python, package]
    parts.extend(f"{name}={os.environ[name]}" for name in sorted(n for n in os.environ if n.startswith("PYTHON")))
    for folder, subfolders, files in os.walk(package):
        subfolders.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                found = os.stat(os.path.join(folder, name))
                parts.append(f"{folder}/{name} {found.st_size} {found.st_mtime_ns}")
    return "\0".join(parts)
