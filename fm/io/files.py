"""Files ↔ frames: GeoPackage and GeoJSON through pyogrio, CSV through pandas, Excel through openpyxl.

Reading keeps each row's place in the file as the user sees it (``line 5`` of a CSV,
whose header is line 1; ``row 7`` of an Excel sheet; ``feature 3`` of a layer,
counted from 1), so that every problem can point at it. Anything a library cannot
read becomes one :class:`~fm.errors.FmError` naming the file, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

try:  # a dependency (pyproject.toml); an environment not yet updated reads and checks by pandas' slower paths
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
except ImportError:  # pragma: no cover (the tests run with it)
    pa = pc = pacsv = None

from fm.errors import FmError

SPATIAL = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON"}
TABULAR = {".csv": "CSV", ".xlsx": "Excel"}
FORMATS = {**SPATIAL, **TABULAR}
EXCEL_CELL = 32_767
"""The most characters an Excel cell holds."""
EXCEL_MAX_COLUMNS = 1_000
"""The widest sheet fm reads (a register has a few dozen columns; Excel allows 16,384)."""
EXCEL_MAX_ROWS = 1_048_576
"""The longest sheet fm reads: Excel's own limit."""
EXCEL_MAX_UNPACKED = 2 * 2**30
"""The most bytes a workbook may unpack to, by the sizes its zip declares (2 GiB: a million full rows)."""
_CELL_REF = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})[0-9]+"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row r="([0-9]{1,9})"')


@dataclass
class Table:
    """The rows of a file, as read: raw values under the file's own headers."""

    frame: pd.DataFrame
    rows: pd.Series
    """Where each row is in the file, as the user sees it: ``line 5``, ``row 7``, ``feature 3``."""
    geometry: gpd.GeoSeries | None
    """Spatial formats: each row's geometry, with the file's CRS (None when it states none)."""
    format: str
    header: str = "header"
    """Where the header row is, as the user sees it: ``line 1`` of a CSV, ``row 3`` of a sheet."""
    unsaved: list[tuple[int, str, str]] = field(default_factory=list)
    """Excel cells holding a formula whose value the file does not hold (written by a program that does not
    calculate): (position of the row in ``frame``, header, formula). They are refused, never read as empty."""

    @property
    def count(self) -> int:
        return len(self.frame)

    @property
    def fields(self) -> list[str]:
        return [str(name) for name in self.frame.columns]

    @property
    def spatial(self) -> bool:
        return self.geometry is not None

    def column(self, name: str) -> pd.Series:
        return self.frame[name]

    def part(self, rows: slice) -> Table:
        """The rows ``rows`` (by position, step 1), keeping their labels and index."""
        positions = range(len(self.frame))[rows]
        return Table(
            self.frame.iloc[rows],
            self.rows.iloc[rows],
            None if self.geometry is None else self.geometry.iloc[rows],
            self.format,
            self.header,
            [(at - positions.start, header, formula) for at, header, formula in self.unsaved if at in positions],
        )


def file_format(path: Path) -> str:
    """The format of ``path`` by its extension, or FmError listing the formats fm reads and writes."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise FmError(
            f"{path.name}: fm reads and writes .gpkg (GeoPackage), .geojson, .csv and .xlsx files, "
            f"not {path.suffix or 'files without an extension'}"
        )
    return found


def read(
    path: Path,
    *,
    layer: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    kind: str,
    empty_ok: bool = False,
) -> Table:
    """Read ``path``: the layer or sheet named, or the only one, or the one named after ``kind`` (with
    ``empty_ok``, a file of a header alone is a table of no rows, not an error)."""
    fmt = _readable(path)
    if fmt in SPATIAL.values():
        table = Layer(path, fmt, layer=layer, kind=kind).part(slice(0, None))
    elif fmt == "CSV":
        table = _read_csv(path, encoding)
    else:
        table = _read_excel(path, sheet, kind)
    if table.frame.empty and not (empty_ok and len(table.frame.columns)):
        raise FmError(_NO_RECORDS.format(path.name))
    return table


def open_layer(path: Path, *, layer: str | None, kind: str) -> Layer | None:
    """``path``'s layer (as :func:`read` picks it), to be read a part at a time; None if ``path`` is not a spatial
    file."""
    fmt = _readable(path)
    if fmt not in SPATIAL.values():
        return None
    opened = Layer(path, fmt, layer=layer, kind=kind)
    if not opened.count:
        raise FmError(_NO_RECORDS.format(path.name))
    return opened


_NO_RECORDS = "{} holds no records (only a header, or nothing)"


def _readable(path: Path) -> str:
    """The format of ``path``, a file fm reads that exists and is not empty (FmError otherwise)."""
    fmt = file_format(path)
    if not path.is_file():
        raise FmError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise FmError(f"{path.name} is empty (0 bytes)")
    return fmt


def _pick(path: Path, names: list[str], given: str | None, what: str, option: str, kind: str) -> str:
    if given is not None:
        if given not in names:
            raise FmError(f"{path.name} has no {what} {given!r}; it has: {', '.join(names)}")
        return given
    if len(names) == 1:
        return names[0]
    if kind in names:
        return kind
    raise FmError(f"{path.name} has {len(names)} {what}s ({', '.join(names)}): choose one with {option}")


class Layer:
    """A layer of a spatial file (the one named, or the only one, or the one named after ``kind``), read whole or a
    part at a time: what lets the importer check and store the first rows while the rest are still in the file.
    It answers a :class:`Table`'s ``count``, ``fields``, ``spatial``, ``column`` and ``part``.

    A GeoPackage's features are read a part at a time, as the range of FIDs the part spans (the layer's FIDs read
    once, alone: 25 ms at 100,000; SQLite then walks the table's key over the range only, 17 ms for 5,000 features,
    where GDAL's ``skip_features`` read and dropped the features before the part, 160–270 ms, and an open range with
    ``max_features`` took 53 ms).
    A GeoJSON file has to be parsed whole, so its first part reads it all and the others are sliced from that.
    """

    def __init__(self, path: Path, fmt: str, *, layer: str | None, kind: str) -> None:
        self.path, self.format = path, fmt
        self._whole: Table | None = None
        self._fids: np.ndarray | None = None
        with self._reading():
            names = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
            self.name = _pick(path, names, layer, "layer", "--layer", kind) if fmt == "GeoPackage" else names[0]
            info = pyogrio.read_info(path, layer=self.name, force_feature_count=True) if fmt == "GeoPackage" else None
        if info is None:
            whole = self._whole = self._read(0, None)
            fields, spatial, count = list(whole.frame.columns), whole.geometry is not None, len(whole.frame)
        else:
            fields, spatial, count = list(info["fields"]), info["geometry_type"] is not None, int(info["features"])
        self.fields: list[str] = [str(name) for name in fields]
        """The layer's attribute columns, as the file names them."""
        self.spatial: bool = spatial
        """Whether the layer has a geometry column."""
        self.count: int = count
        """How many features the layer has."""

    def part(self, rows: slice) -> Table:
        """The features ``rows`` (counted from 0, ``stop`` None for all), labelled and indexed by their place in
        the whole layer; FmError if the file holds fewer than that (it changed since it was opened)."""
        if self._whole is not None:
            return self._whole.part(rows)
        start = rows.start or 0
        table = self._read(start, None if rows.stop is None else rows.stop - start)
        expected = (self.count if rows.stop is None else min(rows.stop, self.count)) - start
        if len(table.frame) != expected:
            raise FmError(
                f"{self.path.name} changed while fm read it: layer {self.name} had {self.count:,} features, "
                f"then {start + len(table.frame):,}"
            )
        return table

    def column(self, name: str) -> pd.Series:
        """One attribute column of every feature, without the geometries or the other columns."""
        if self._whole is not None:
            return self._whole.frame[name]
        with self._reading():
            frame = pyogrio.read_dataframe(
                self.path, layer=self.name, columns=[name], read_geometry=False, use_arrow=pa is not None
            )
        return frame[name]

    def _read(self, start: int, count: int | None) -> Table:
        where, skip = None, start
        fids = self._ordered_fids() if start else None  # a later part: the range of FIDs it spans
        if fids is not None and start < len(fids):
            span = fids[start : None if count is None else start + count]
            where, skip, count = f"FID >= {span[0]} AND FID <= {span[-1]}", 0, None
        with self._reading():
            frame = pyogrio.read_dataframe(
                self.path,
                layer=self.name,
                where=where,
                skip_features=skip,
                max_features=count,
                use_arrow=pa is not None,  # Arrow: half the CPU
            )
        geometry = None
        if isinstance(frame, gpd.GeoDataFrame):
            geometry = frame.geometry
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        frame.index = pd.RangeIndex(start, start + len(frame))
        if geometry is not None:
            geometry.index = frame.index
        rows = "feature " + pd.Series(frame.index + 1, index=frame.index).astype(str)  # as a CSV's lines
        return Table(frame, rows, geometry, self.format)

    def _ordered_fids(self) -> np.ndarray | None:
        """Each feature's FID in the layer's order, read the first time a part asks; None unless that order is the
        FIDs' (as SQLite scans a GeoPackage's table: always, but a range only reads the part if so)."""
        if self._fids is None:
            with self._reading():
                frame = pyogrio.read_dataframe(
                    self.path,
                    layer=self.name,
                    columns=[],
                    read_geometry=False,
                    fid_as_index=True,
                    use_arrow=pa is not None,
                )
            self._fids = np.asarray(frame.index, dtype=np.int64)
        return self._fids if bool(np.all(np.diff(self._fids) > 0)) else None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Whatever GDAL says about a damaged or foreign file, as FmError naming it."""
        try:
            yield
        except FmError:
            raise
        except Exception as exc:  # noqa: BLE001 (GDAL's errors have no common type)
            raise FmError(f"cannot read {self.path.name} as {self.format}: {_first_line(exc)}") from None


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) if the bytes are UTF-8, else Shift_JIS (cp932) if they are that."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FmError("the file is neither UTF-8 nor Shift_JIS (cp932): give its encoding with --encoding")


def _read_csv(path: Path, encoding: str | None) -> Table:
    data = path.read_bytes()
    try:
        encoding = encoding or detect_encoding(data)
        text = data.decode(encoding)
    except LookupError:
        raise FmError(f"unknown encoding {encoding!r}: try utf-8 or cp932") from None
    except UnicodeDecodeError as exc:
        raise FmError(
            f"{path.name} is not {encoding}: byte {data[exc.start]:#04x} at offset {exc.start} "
            "does not decode (leave out --encoding to detect it)"
        ) from None
    except FmError as exc:
        raise FmError(f"{path.name}: {exc}") from None
    # UTF-8 (checked above) goes to pandas' parser as bytes, which it reads without making a Python string of the
    # whole file first: twice as fast as the text for a file of 100,000 rows.
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    source = io.BytesIO(data.removeprefix(codecs.BOM_UTF8)) if utf8 else io.StringIO(text.removeprefix("\ufeff"))
    try:
        frame = _arrow_csv(data.removeprefix(codecs.BOM_UTF8)) if utf8 else None
        if frame is None:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise FmError(f"{path.name} is empty (no header row)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise FmError(f"cannot read {path.name} as CSV: {_first_line(exc)}") from None
    # A row's line: the header is line 1; quoted values may span lines. When the file has one line break per
    # record (after the header) and no more, no value holds one: the cells need not be counted one by one.
    spans = text.count("\n") - text.endswith("\n") != len(frame)
    breaks = sum(frame[c].str.count("\n").fillna(0) for c in frame.columns) if spans and len(frame.columns) else 0
    lines = 2 + pd.Series(range(len(frame)), index=frame.index) + pd.Series(breaks, index=frame.index).cumsum() - breaks
    blank = (frame == "").all(axis=1)
    frame, lines = frame[~blank], lines[~blank]
    return Table(frame, "line " + lines.astype(int).astype(str), None, "CSV", header="line 1")


def _arrow_csv(data: bytes) -> pd.DataFrame | None:
    """UTF-8 CSV ``data`` read by pyarrow's reader (in C++, on every core), every value as text: the same
    frame as pandas' reader makes with the options :func:`_read_csv` gives it (headers as written, ``""`` for
    an empty cell, quoted line breaks kept, a blank line a row of ``""``).

    None when pandas must read the file instead, so that what it says and makes stays exactly the same: a
    file pyarrow refuses (a row of more or fewer cells than the header, an unclosed quote: pandas reads
    some of these and words its errors as fm's messages quote them), and a header pandas renames (a name
    given twice or none)."""
    if pacsv is None:
        return None
    try:
        names = next(csv.reader(io.StringIO(data[: 1 << 16].decode("utf-8", errors="ignore"))))
        if len(set(names)) != len(names) or "" in names:
            return None
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False),  # one core: less CPU in all, as fast here
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except Exception:  # noqa: BLE001 (whatever pyarrow refuses, pandas reads or words the error)
        return None
    if table.schema.names != names or any(t != pa.string() for t in table.schema.types):
        return None  # a header over 64 KiB, or one csv and pyarrow read differently
    text = pd.StringDtype(na_value=np.nan)  # pandas' own ``str``, as read_csv(dtype=str) makes
    return table.to_pandas(types_mapper=lambda t: text if t == pa.string() else None)


def _read_excel(path: Path, sheet: str | None, kind: str) -> Table:
    import openpyxl  # here and in the Excel helpers below: 60-70 ms of start-up a GeoPackage or CSV import never uses

    try:
        _check_unpacked_size(path)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FmError:
        raise
    except Exception as exc:  # noqa: BLE001 (not a zip, damaged, or not a workbook)
        raise FmError(f"cannot read {path.name} as an Excel workbook: {_first_line(exc)}") from None
    try:
        chosen = _pick(path, book.sheetnames, sheet, "sheet", "--sheet", kind)
        worksheet = book[chosen]
        has_formulas = _check_extent(path, book, chosen)
        worksheet.reset_dimensions()  # the declared dimension is not believed: only the cells held are read
        cells = [
            (number, row)
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1)
            if any(v is not None and str(v).strip() != "" for v in row)
        ]
        formulas = _formulas_without_values(path, chosen) if has_formulas else {}
    except FmError:
        raise
    except Exception as exc:  # noqa: BLE001 (a damaged sheet)
        raise FmError(f"cannot read {path.name}: {_first_line(exc)}") from None
    finally:
        book.close()
    if formulas:  # rows holding nothing but such formulas are rows all the same
        numbers = {number for number, _ in cells}
        cells += [(number, ()) for number in sorted({r for r, _ in formulas} - numbers)]
        cells.sort(key=lambda item: item[0])
    # The header is the first row with two or more filled cells (a title row above it is skipped).
    start = next((i for i, (_, row) in enumerate(cells) if sum(v is not None for v in row) >= 2), None)
    if start is None:
        return Table(pd.DataFrame(), pd.Series(dtype=str), None, "Excel")
    headers = [str(v).strip() if v is not None else "" for v in cells[start][1]]
    body = cells[start + 1 :]
    frame = pd.DataFrame(
        [list(row) + [None] * (len(headers) - len(row)) for _, row in body], columns=range(len(headers)), dtype=object
    )
    position = {number: n for n, (number, _) in enumerate(body)}
    pending = {(r, c): f for (r, c), f in formulas.items() if r in position and c < len(headers)}
    keep = [i for i, h in enumerate(headers) if h or frame[i].notna().any() or any(c == i for _, c in pending)]
    frame = frame[keep]
    frame.columns = [headers[i] or f"(column {openpyxl.utils.get_column_letter(i + 1)})" for i in keep]
    names = dict(zip(keep, frame.columns, strict=True))
    unsaved = [(position[r], names[c], f) for (r, c), f in sorted(pending.items()) if c in names]
    header = f"row {cells[start][0]}"
    return Table(frame, pd.Series([f"row {n}" for n, _ in body], dtype=str), None, "Excel", header, unsaved)


def _check_unpacked_size(path: Path) -> None:
    """Refuse a workbook whose zip declares more than :data:`EXCEL_MAX_UNPACKED` bytes, before it is parsed
    (zipfile never unpacks more than the declared size of a member)."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > EXCEL_MAX_UNPACKED:
        raise FmError(
            f"{path.name} unpacks to {unpacked / 2**20:,.0f} MiB; fm unpacks at most {EXCEL_MAX_UNPACKED / 2**20:,.0f} "
            "MiB of a workbook. Save the sheet fm needs as a workbook of its own, or as CSV."
        )


def _check_extent(path: Path, book: Any, sheet: str) -> bool:
    """Refuse ``sheet`` when a cell lies beyond :data:`EXCEL_MAX_COLUMNS` or a row beyond :data:`EXCEL_MAX_ROWS`
    (by the cells the sheet's XML holds, whatever dimension it declares), in one pass over the XML before any
    cell is parsed; and say whether the sheet holds a formula (an ``<f>`` element: most hold none, and
    reading the sheet a second time is then spared)."""
    import openpyxl

    widest, last, formulas = 0, 0, False
    with zipfile.ZipFile(path) as archive, archive.open(book[sheet]._worksheet_path) as xml:
        tail = b""
        while chunk := xml.read(1 << 22):
            text = tail + chunk
            cut = text.rfind(b"<")  # an element split between two chunks is scanned with the next one
            text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            formulas = formulas or b"<f>" in text or b"<f " in text
            for letters in set(_CELL_REF.findall(text)):
                widest = max(widest, openpyxl.utils.column_index_from_string(letters.decode()))
            if rows := _ROW_REF.findall(text):
                last = max(last, *map(int, rows))
            if widest > EXCEL_MAX_COLUMNS or last > EXCEL_MAX_ROWS:
                break
    if widest > EXCEL_MAX_COLUMNS:
        letter = openpyxl.utils.get_column_letter(widest)
        raise FmError(
            f"{path.name}: sheet {sheet} uses column {letter} ({widest}); fm reads at most {EXCEL_MAX_COLUMNS} "
            f"columns. Delete the columns beyond {openpyxl.utils.get_column_letter(EXCEL_MAX_COLUMNS)} and try again."
        )
    if last > EXCEL_MAX_ROWS:
        raise FmError(f"{path.name}: sheet {sheet} uses row {last}; fm reads at most {EXCEL_MAX_ROWS:,} rows.")
    return formulas


def _formulas_without_values(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(row number, column index) → formula, for the cells of ``sheet`` holding a formula and no saved value.

    Excel saves each formula's last value with the file, and that value is what fm reads; a file written by
    a program that does not calculate (openpyxl, some exports) holds the formula alone."""
    import openpyxl

    saved = openpyxl.load_workbook(path, read_only=True, data_only=True)
    written = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        saved[sheet].reset_dimensions()
        written[sheet].reset_dimensions()
        found = {}
        rows = zip(saved[sheet].iter_rows(values_only=True), written[sheet].iter_rows(values_only=True), strict=False)
        for number, (values, formulas) in enumerate(rows, start=1):
            for column, (value, formula) in enumerate(zip(values, formulas, strict=False)):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    found[(number, column)] = formula
        return found
    finally:
        saved.close()
        written.close()


def cells(values: pd.Series) -> pd.Series:
    """Every cell as trimmed text, or NA when empty: the form all parsing starts from."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d").astype("string")
    elif pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        text = values.astype("Int64").astype("string")  # whole numbers read as floats (NULLs in the column)
    else:
        text = values.astype("string")
    text = text.str.strip()
    return text.mask(text == "")


def among(values: pd.Series, known: Collection[str]) -> pd.Series:
    """``values.isin(known)``, fast for a large set of codes: pyarrow's ``is_in`` against the set made once.

    (pandas' own ``isin`` on Arrow-backed text makes a pyarrow scalar of every member of ``known``: about a
    second for the 100,000 codes of a register, against 0.05 s here.)

    >>> among(pd.Series(["BL-1", None, "X"], dtype="string"), frozenset({"BL-1", "BL-2"})).tolist()
    [True, False, False]
    """
    arrow = pa is not None and isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"
    if not arrow or not known:
        return values.isin(known).astype(bool)
    given = pa.chunked_array(pa.array(values.array))  # zero-copy: the column's own Arrow buffers
    found = pc.fill_null(pc.is_in(given, value_set=pa.array(list(known), type=given.type)), False)
    return pd.Series(np.asarray(found, dtype=bool), index=values.index)


def fold(text: pd.Series) -> pd.Series:
    """``text.str.casefold()``, in C++ for ASCII text (where casefold is lower case), in Python for the rest.

    >>> fold(pd.Series(["BL-1", "Straße", None], dtype="string")).tolist()
    ['bl-1', 'strasse', <NA>]
    """
    ascii_ = text.str.isascii().fillna(True).astype(bool) | text.isna()
    if ascii_.all():
        return text.str.lower()
    out = text.str.lower()
    out[~ascii_] = text[~ascii_].str.casefold()
    return out


def nfkc(text: pd.Series) -> pd.Series:
    """``text.str.normalize("NFKC")``, leaving ASCII text as it is (NFKC changes no ASCII character; pandas
    normalises through Python's unicodedata, cell by cell).

    >>> nfkc(pd.Series(["ＢＬ－１", "BL-2", None], dtype="string")).tolist()
    ['BL-1', 'BL-2', <NA>]
    """
    ascii_ = text.str.isascii().fillna(True).astype(bool) | text.isna()
    if ascii_.all():
        return text
    out = text.copy()
    out[~ascii_] = text[~ascii_].str.normalize("NFKC")
    return out


_DECIMAL = r"[0-9]+(?:\.[0-9]+)?"
"""A plain decimal: digits, perhaps a point and more digits (no sign, no exponent)."""
DECIMAL_CHARACTERS = 15
"""The longest plain decimal :func:`numbers` casts in C++: it has at most 15 digits."""


def numbers(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce")`` as Float64 (NA where a cell is not a number), in C++ when every
    cell given is a plain decimal of at most :data:`DECIMAL_CHARACTERS` characters (a column of sizes, of
    coordinates): pandas' parse makes a Python object of every cell first.

    Both give the same floats there: with at most 15 digits the digits and the power of ten are exact doubles,
    so pandas' one division (or product) rounds to the nearest double, as Arrow's parser (fast_float) always
    does; and no sign, so no ``-0``, which pandas reads as the integer 0. Any other column goes to pandas.

    >>> numbers(pd.Series(["370.7", None, "12"], dtype="string")).tolist()
    [370.7, <NA>, 12.0]
    """
    arrow = pa is not None and isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow"
    if arrow:
        given = pa.chunked_array(pa.array(text.array))  # zero-copy: the column's own Arrow buffers
        plain = pc.and_(
            pc.match_substring_regex(given, f"^{_DECIMAL}$"),
            pc.less_equal(pc.utf8_length(given), DECIMAL_CHARACTERS),
        )
        if pc.all(pc.fill_null(plain, True)).as_py():
            cast = pc.cast(given, pa.float64())
            values = pa.chunked_array(cast.chunks, pa.float64()).to_numpy(zero_copy_only=False)
            missing = np.asarray(pc.is_null(cast), dtype=bool)
            return pd.Series(pd.arrays.FloatingArray(np.where(missing, 0.0, values), missing), index=text.index)
    return pd.to_numeric(text, errors="coerce").astype("Float64")


def integers(text: pd.Series) -> np.ndarray:
    """Text of whole numbers that int64 holds (digits, perhaps a sign) as int64, exactly: by Arrow's cast in C++
    (pandas' ``astype`` makes a Python object of every cell first), unless a cell has a ``+``, which Arrow refuses.

    >>> integers(pd.Series(["007", "-12", "+5"], dtype="string")).tolist()
    [7, -12, 5]
    """
    arrow = pa is not None and isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow"
    if arrow and not text.str.startswith("+").any():
        return pc.cast(pa.chunked_array(pa.array(text.array)), pa.int64()).to_numpy()
    return text.astype("int64").to_numpy()


def lookup(text: pd.Series, table: dict[str, Any]) -> pd.Series:
    """``text.map(table)`` with each distinct value looked up once: a column of flags, classes or categories
    holds a handful among 100,000 cells (pandas maps every cell). The same values make the same dtype.

    >>> lookup(pd.Series(["yes", None, "no", "x", "yes"], dtype="string"), {"yes": True, "no": False}).tolist()
    [True, <NA>, False, <NA>, True]
    """
    codes, uniques = pd.factorize(text)
    distinct = pd.Series(uniques, dtype=text.dtype)
    if (codes < 0).any():  # the missing cells, mapped as a missing value
        distinct = pd.concat([distinct, pd.Series([None], dtype=text.dtype)], ignore_index=True)
        codes = np.where(codes < 0, len(distinct) - 1, codes)
    return pd.Series(distinct.map(table).array.take(codes), index=text.index)


def parse(text: pd.Series, parser: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``parser(text)``, parsing again after NFKC normalisation where that fails: full-width digits
    (１２３), ￥ and the Roman numeral characters (Ⅲ) then read as their plain forms. Most cells parse at once."""
    result = parser(text)
    failed = text.notna() & result.isna()
    if failed.any():
        result = result.astype(object) if result.dtype == bool else result.copy()
        result[failed] = parser(text[failed].str.normalize("NFKC").str.strip())
    return result


def write(frame: pd.DataFrame, path: Path, *, layer: str) -> None:
    """Write ``frame`` (a GeoDataFrame for spatial kinds) to ``path`` in the format its extension names.

    The file is written beside ``path`` and renamed over it when complete, so a failure
    leaves no half-written file and the old one as it was.
    """
    fmt = file_format(path)
    if fmt == "Excel" and (long := _text_cells(frame, lambda t: t.str.len() > EXCEL_CELL)):
        raise FmError(
            ", ".join(f"row {row + 2}, {frame.columns[column]}" for row, column in long[:5])
            + f": more than the {EXCEL_CELL:,} characters an Excel cell holds; "
            "export to .gpkg or .geojson instead"
        )
    if not path.parent.is_dir():
        raise FmError(f"cannot write {path}: the folder {path.parent} does not exist")
    if fmt == "GeoPackage" and path.exists():
        others = _other_layers(path, layer)
        if others:  # the file is replaced whole: say so rather than lose them
            raise FmError(
                f"{path} also holds the layers {', '.join(others)}, which writing it would remove; export to a new file"
            )
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    partial.unlink(missing_ok=True)
    try:
        if fmt in SPATIAL.values():
            pyogrio.write_dataframe(frame, partial, layer=layer, driver="GPKG" if fmt == "GeoPackage" else "GeoJSON")
        elif fmt == "CSV":
            # UTF-8 with a BOM: Excel then opens Japanese text correctly; fm reads it with or without.
            frame.to_csv(partial, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            write_excel(frame, partial, layer)
        os.replace(partial, path)
    except Exception as exc:  # noqa: BLE001 (a full disk, no permission, a folder in the way)
        partial.unlink(missing_ok=True)
        raise FmError(f"cannot write {path}: {_first_line(exc)}") from None


def _text_cells(frame: pd.DataFrame, where: Callable[[pd.Series], pd.Series]) -> list[tuple[int, int]]:
    """(row, column) positions, from 0, of the text cells for which ``where`` holds."""
    found = []
    for number, column in enumerate(frame.columns):
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            text = frame[column].astype("string")
            found += [(row, number) for row in (where(text).fillna(False).to_numpy(dtype=bool)).nonzero()[0]]
    return found


def _other_layers(path: Path, layer: str) -> list[str]:
    try:
        return [name for name, _ in pyogrio.list_layers(path) if name != layer]
    except Exception:  # noqa: BLE001 (not a GeoPackage after all: it is replaced, as any other file)
        return []


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list)."""


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts like a formula prefixed with ``'``, as OWASP advises for
    files people open in a spreadsheet (a name uploaded as ``=HYPERLINK(…)`` must not come back live).
    Numbers are left as they are; ``frame`` is not changed.

    >>> neutralise_formulas(pd.DataFrame({"name": ["=1+1", "-x", "橋"], "n": [-1, 2, 3]})).to_dict("list")
    {'name': ["'=1+1", "'-x", '橋'], 'n': [-1, 2, 3]}
    """
    out = frame
    for row, column in _text_cells(frame, lambda t: t.str.startswith(FORMULA_STARTS)):
        if out is frame:
            out = frame.copy()
        out.iat[row, column] = "'" + str(frame.iat[row, column])
    return out


EXCEL_EXACT = 2**53
"""Excel holds numbers as doubles (15 significant digits shown): whole numbers beyond this are written as text."""


def write_excel(frame: pd.DataFrame, target: Path | io.BytesIO, sheet: str) -> None:
    """``frame`` as an Excel sheet: text that starts with '=' stays text (never a formula), whole numbers
    a double cannot hold exactly (amounts of yen beyond 2**53) are written as text of their digits, header
    row frozen, columns sized to their headers."""
    write_sheets({sheet: frame}, target)


def write_sheets(sheets: dict[str, pd.DataFrame], target: Path | io.BytesIO) -> None:
    """Several frames as the sheets of one workbook, in order, each as :func:`write_excel` writes one."""
    with pd.ExcelWriter(target, engine="openpyxl", date_format="YYYY-MM-DD") as writer:
        for sheet, given in sheets.items():
            frame = _exact_whole_numbers(given)
            frame.to_excel(writer, sheet_name=sheet, index=False)
            worksheet = writer.sheets[sheet]
            for row, column in _text_cells(frame, lambda t: t.str.startswith("=")):
                worksheet.cell(row + 2, column + 1).data_type = "s"  # text, never a formula
            worksheet.freeze_panes = "A2"
            for cells in worksheet.iter_cols(min_row=1, max_row=1):
                width = max(10, min(40, 2 * len(str(cells[0].value))))
                worksheet.column_dimensions[cells[0].column_letter].width = width


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """:func:`write_sheets` to ``path``, written beside it and renamed over it when complete."""
    if not path.parent.is_dir():
        raise FmError(f"cannot write {path}: the folder {path.parent} does not exist")
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write_sheets(sheets, partial)
        os.replace(partial, path)
    except Exception as exc:  # noqa: BLE001 (a full disk, no permission, a folder in the way)
        partial.unlink(missing_ok=True)
        raise FmError(f"cannot write {path}: {_first_line(exc)}") from None


def sheet_names(path: Path) -> list[str]:
    """The sheets of the workbook ``path``, in order; FmError when it is not one."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # noqa: BLE001 (not a zip, damaged, or not a workbook)
        raise FmError(f"cannot read {path.name} as an Excel workbook: {_first_line(exc)}") from None
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _exact_whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns holding a value beyond :data:`EXCEL_EXACT` as text (object), every value exact."""
    out = frame
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_integer_dtype(values.dtype) and (values.abs() > EXCEL_EXACT).fillna(False).any():
            if out is frame:
                out = frame.copy()
            out[name] = [
                None if pd.isna(v) else (str(int(v)) if abs(int(v)) > EXCEL_EXACT else int(v))
                for v in values.astype(object)
            ]
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
