"""Reading CSV through pyarrow gives exactly what pandas' reader gave, or leaves the file to pandas; and the
Arrow-backed text helpers the checks use agree with pandas' own string methods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fm.io import files
from fm.io.files import among, fold, nfkc

# (CSV text, whether pyarrow reads it: else pandas does, and words any error)
CASES = [
    ("code,name\nB-1,橋\nB-2,\n", True),
    ("code,name\r\nB-1,橋\r\nB-2,x\r\n", True),  # Windows line ends
    ('code,name\nB-1,"two\nlines"\nB-2,"say ""hi"""\n', True),  # a quoted line break and quotes
    ("code,name\nB-1,x\n\nB-2,y\n", True),  # a blank line: a row of "" (dropped, its line still counted)
    ("code,name\n007,0.50\n", True),  # leading zeros stay text
    ("code,name\nB-1, spaced \n", True),
    ("code,name\nB-1,x,extra\n", False),  # more cells than headers
    ("code,name\nB-1\n", False),  # fewer
    ('code,name\n"B-1,x\n', False),  # an unclosed quote
    ("code,code\nB-1,B-2\n", False),  # a header given twice: pandas renames it
    ("code,\nB-1,x\n", False),  # a header without a name
]


@pytest.mark.parametrize(("text", "arrow"), CASES)
def test_pyarrow_reads_a_csv_as_pandas_does_or_leaves_it_to_pandas(tmp_path, monkeypatch, text, arrow):
    path = tmp_path / "assets.csv"
    path.write_bytes(text.encode("utf-8"))
    # (without pyarrow, in an environment not yet updated, pandas reads every file: the results must not change)
    assert (files._arrow_csv(path.read_bytes()) is not None) == (arrow and files.pa is not None)
    try:
        read = files.read(path, kind="assets")
    except Exception as exc:  # noqa: BLE001 (the same error, whichever reader)
        read = exc
    monkeypatch.setattr(files, "_arrow_csv", lambda data: None)
    try:
        plain = files.read(path, kind="assets")
    except Exception as exc:  # noqa: BLE001
        assert str(read) == str(exc)
        return
    pd.testing.assert_frame_equal(read.frame, plain.frame)
    pd.testing.assert_series_equal(read.rows, plain.rows)


def test_a_byte_order_mark_is_not_part_of_the_first_header(tmp_path):
    path = tmp_path / "assets.csv"
    path.write_bytes("\ufeffcode,name\nB-1,x\n".encode())
    table = files.read(path, kind="assets")
    assert list(table.frame.columns) == ["code", "name"] and table.rows.tolist() == ["line 2"]


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_the_text_helpers_agree_with_pandas(dtype):
    values = pd.Series(["BL-1", None, "Straße", "ＢＬ－２", "bl-1", "Ⅲ"], index=[3, 1, 4, 1, 5, 9], dtype=dtype)
    known = frozenset({"BL-1", "BL-2"})
    assert among(values, known).tolist() == [True, False, False, False, False, False]
    assert among(values, frozenset()).tolist() == [False] * 6
    want = values.astype("string")
    assert fold(want).tolist() == want.str.casefold().tolist()
    assert nfkc(want).tolist() == want.str.normalize("NFKC").tolist()
    assert fold(want).index.equals(values.index)
    assert np.asarray(among(values, known)).dtype == bool


def test_numbers_gives_what_pandas_to_numeric_gives():
    """The plain decimals cast in C++ (every cell a plain decimal of at most 15 characters) are the very floats
    pandas' parse gives, bit for bit; a column with any other cell goes to pandas as before."""
    rng = np.random.default_rng(19)
    digits = rng.integers(0, 10, size=(20_000, 15)).astype(str)
    cut = rng.integers(1, 15, size=len(digits))
    plain = ["".join(row[:n]) + ("." + "".join(row[n:]) if n < 14 else "") for row, n in zip(digits, cut, strict=True)]
    columns = [
        [*plain, "0", "0.0", "007.50", "123456789012345", "0.00000000000001", None],
        ["1.5", "-0", "1e3", "１２", "x", "1234567890123456", "12345678901234567890", " 2", None],
        ["370.7", "12", None],
    ]
    for values in columns:
        text = pd.Series(values, index=range(10, 10 + len(values)), dtype="string")
        found, wanted = files.numbers(text), pd.to_numeric(text, errors="coerce").astype("Float64")
        assert found.dtype == wanted.dtype and found.index.equals(wanted.index)
        assert found.isna().equals(wanted.isna())
        bits = [v.to_numpy(dtype=float, na_value=0.0).view("int64") for v in (found, wanted)]
        assert np.array_equal(*bits)


@pytest.mark.parametrize(
    "table",
    [
        {"true": True, "yes": True, "false": False, "no": False},
        {"1": 1, "ii": 2, "iv": 4},
        {"sports": "sports", "bridge": "bridge"},
    ],
)
def test_lookup_maps_as_pandas_maps(table):
    """Each distinct value looked up once: the values, the missing ones and the dtype are map's."""
    for values in (["yes", None, "no", "x", "ii", "sports", "yes"], ["true", "false"], ["iv", "1"], [None], []):
        text = pd.Series(values, index=range(5, 5 + len(values)), dtype="string")
        found, wanted = files.lookup(text, table), text.map(table)
        assert found.dtype == wanted.dtype and found.index.equals(wanted.index)
        assert found.isna().equals(wanted.isna()) and found.dropna().tolist() == wanted.dropna().tolist()


def test_integers_reads_whole_numbers_as_astype_does():
    values = ["007", "-12", "-0", "999999999999999999", "-999999999999999999", "0"]
    for cells in (values, [*values, "+5"], []):
        text = pd.Series(cells, dtype="string")
        found = files.integers(text)
        assert found.dtype == np.int64 and found.tolist() == text.astype("int64").tolist()
