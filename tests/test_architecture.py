"""The layers and the habits that keep the code clean, checked by the tools made for them.

The import contracts (pyproject.toml, import-linter): faces -> use cases -> io, accounts and domain -> model and db;
the faces call use cases only; the domain imports neither Flask nor SQLAlchemy. ruff lints and formats; mypy checks
the types of the domain.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return _run(
        BIN / "lint-imports",
        "--no-cache",
        root / "pyproject.toml",
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(BIN)},
    )


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong", "contract"),
    [
        ("fm/domain/fiscal.py", "import fm.web", "Layers"),
        ("fm/io/store.py", "from fm.app import register", "Layers"),
        ("fm/web/home.py", "from fm.domain import fiscal", "Faces call use cases only"),
        ("fm/cli/stats.py", "from fm.model import Asset", "Faces call use cases only"),
        ("fm/domain/stats.py", "import sqlalchemy", "The domain is plain functions"),
        ("fm/app/stats.py", "import flask", "Use cases know no web framework"),
    ],
)
def test_one_wrong_import_breaks_a_contract(tmp_path: Path, module: str, wrong: str, contract: str):
    shutil.copytree(
        ROOT / "fm", tmp_path / "fm", ignore=shutil.ignore_patterns("static", "translations", "__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text() + f"\n{wrong}  # the wrong import\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[1]
    assert contract in broken, result.stdout
    assert module.removesuffix(".py").replace("/", ".") in broken, result.stdout  # the import it names


def test_ruff_finds_nothing():
    result = _run(BIN / "ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted():
    result = _run(BIN / "ruff", "format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_type_checks():
    result = _run(sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert result.returncode == 0, result.stdout + result.stderr
