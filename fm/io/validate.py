"""Check and convert the rows of a file, gathering every problem: the importer's one set of rules.

Plain pandas and shapely, no database: the codes a value may refer to come in as
:class:`References`. :func:`validate` returns the typed records or raises
:class:`Rejected`, whose problems each name the row as the user sees it, the field
(by the file's own header), the value and what is wrong. Vectorised: 100,000 rows
check in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from fm.errors import ValidationError
from fm.io.columns import BIGINT_MOST, Column, Headers, Kind, guess_kind, resolve_headers
from fm.io.coordinates import geometries
from fm.io.files import Table, among, cells, fold, integers, lookup, nfkc, numbers, parse
from fm.io.problems import Problem, Rejected

BOOLEANS = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "1.0": True,
    "はい": True,
    "○": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
    "0.0": False,
    "いいえ": False,
    "×": False,
}
SOUNDNESS = {"1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4}
"""Soundness classes Ⅰ–Ⅳ as written: 1–4, I–IV, or the Roman numeral characters (NFKC makes them I–IV)."""
STATES = {**SOUNDNESS, "5": 5}
"""A condition state of either scale: a soundness class Ⅰ–Ⅳ as above, or a condition score 1–5."""
WORDS: dict[str, dict[str, Any]] = {"boolean": BOOLEANS, "soundness": SOUNDNESS, "state": STATES}
"""What the cells of each column type read as words mean (folded: any case)."""


@dataclass(frozen=True)
class References:
    """The codes in the database a file's values may name."""

    categories: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    assets: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    """The codes of the records of the kind imported that the database holds: a code in the file is matched
    to one of them (see :func:`spell_codes`), and a row whose code is none of them adds a record."""


@dataclass
class Checked:
    """The records of a file, typed, under fm's field names (only the columns the file has)."""

    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None
    """EPSG:4326; None when the file has no geometry (then the stored geometry is kept)."""
    names: dict[str, str] = field(default_factory=dict)
    """field name → the file's header for it."""


def validate(kind: Kind, table: Table, *, references: References, crs: int | None, today: date, source: str) -> Checked:
    """Check every row of ``table`` as records of ``kind``; raise Rejected listing every problem."""
    problems: list[Problem] = []
    headers = resolve_headers(kind, [str(c) for c in table.frame.columns], coordinates=table.geometry is None)
    stop, absent = _check_headers(kind, table, headers, problems)
    if stop:
        raise Rejected(source, problems)  # another kind, or a field twice: its values say nothing more
    frame = table.frame.rename(columns=headers.fields)[list(headers.fields.values())]
    names = {v: k for k, v in headers.fields.items()}
    _unsaved_formulas(table, problems)
    out = pd.DataFrame(index=frame.index)
    for column in kind.columns:
        if column.name in frame.columns:
            out[column.name] = _column(
                column,
                frame[column.name],
                table.rows,
                names[column.name],
                references,
                today,
                problems,
                known=_known_codes(kind, column, references),
            )
    if absent:
        _new_records_complete(kind, out, table.rows, names, absent, references, problems)
    _rules(kind, out, table.rows, names, problems)
    _duplicates(kind, out, table.rows, names, problems)
    found = None
    if kind.geometry:
        found = geometries(
            kind, frame, table, headers, names, crs=crs, problems=problems, categories=out.get("category")
        )
    if problems:
        raise Rejected(source, _in_file_order(problems, table.rows))
    return Checked(out, found, names)


def _check_headers(kind: Kind, table: Table, headers: Headers, problems: list[Problem]) -> tuple[bool, list[Column]]:
    """Report unknown and doubled columns, and missing ones a file of ``kind`` cannot do without. Return
    whether to stop (a file of another kind, a field given twice) and the required columns the file lacks
    that only new records need: a file with the key and some columns updates those columns alone."""
    for first, later in headers.duplicated:
        problems.append(Problem(table.header, "", "", f"{first} and {later} are the same field"))
    if headers.duplicated:
        return True, []
    present = set(headers.fields.values())
    missing = [c for c in kind.columns if c.required and c.name not in present]
    keys_missing = [c for c in missing if c.name in kind.key]
    if keys_missing or headers.unknown:
        other = guess_kind([str(c) for c in table.frame.columns], coordinates=table.geometry is None)
        if other is not None and other.name != kind.name:
            problems.append(
                Problem(
                    "",
                    "",
                    "",
                    f"this is a file of {other.name}, not of {kind.name}: import it with `fm import {other.name}`",
                )
            )
            return True, []
    for column in keys_missing:
        problems.append(Problem("", column.en, "", f"required column missing (header {column.en!r} or {column.ja!r})"))
    for name in headers.unknown:
        problems.append(Problem("", name, "", f"unknown column for {kind.name}; see docs/import-export.md"))
    return False, [c for c in missing if c not in keys_missing]


def _new_records_complete(
    kind: Kind,
    out: pd.DataFrame,
    rows: pd.Series,
    names: dict[str, str],
    absent: list[Column],
    references: References,
    problems: list[Problem],
) -> None:
    """A file without some required columns updates the records fm holds; a row that would add one is refused
    (and when no row updates a record, the columns are said to be missing, as a file of new records needs them)."""
    codes = out["code"] if "code" in out.columns and kind.key == ("code",) else None
    new = codes.notna() & ~among(codes, references.keys) if codes is not None else None
    if codes is None or new is None or new.all() or kind.key != ("code",):
        for column in absent:
            problems.append(
                Problem("", column.en, "", f"required column missing (header {column.en!r} or {column.ja!r})")
            )
        return
    wanted = ", ".join(f"{c.en} ({c.ja})" for c in absent)
    for index in out.index[new.to_numpy(dtype=bool)]:
        problems.append(
            Problem(
                rows.loc[index],
                names["code"],
                str(codes.loc[index]),
                f"no such record to update, and a new one needs {wanted}, which the file has no column for",
            )
        )


def _unsaved_formulas(table: Table, problems: list[Problem]) -> None:
    for position, header, formula in table.unsaved:
        problems.append(
            Problem(
                table.rows.iloc[position],
                header,
                formula,
                "a formula whose value the file does not hold (saved by a program that does not calculate): "
                "open and save the file in Excel, or type the value",
            )
        )


CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Control characters, which no text field may hold (tab, line feed and carriage return may)."""


def _known_codes(kind: Kind, column: Column, references: References) -> frozenset[str] | None:
    """The codes the values of ``column`` are matched to, if it holds codes (else None)."""
    if column.refers == "asset":
        return references.assets
    if column.refers == "service":
        return references.services
    if column.name == "code" and kind.key == ("code",):
        return references.keys
    return None


def spell_codes(text: pd.Series, known: frozenset[str]) -> pd.Series:
    """Codes as fm matches them: NFKC-normalised (full-width ``ＢＬ－００００１`` is ``BL-00001``) and
    trimmed, then spelt as the database spells the one code they equal ignoring case, if there is one
    (a code the database holds in two spellings that differ only in case matches only exactly).

    >>> spell_codes(pd.Series(["ＢＬ－００００１", "bl-00002", "N-1", None], dtype="string"),
    ...       frozenset({"BL-00001", "BL-00002"})).tolist()
    ['BL-00001', 'BL-00002', 'N-1', <NA>]
    """
    plain = nfkc(text).str.strip()
    found = among(plain, known)
    if (found | plain.isna()).all():  # every code spelt as the database spells it: nothing to look up
        return plain.astype("string")
    folded: dict[str, str | None] = {}
    for code in known:
        key = code.casefold()
        folded[key] = code if key not in folded else None
    spelt = plain.where(found, fold(plain).map(folded))
    return spelt.fillna(plain).astype("string")


def _column(
    column: Column,
    values: pd.Series,
    rows: pd.Series,
    header: str,
    references: References,
    today: date,
    problems: list[Problem],
    *,
    known: frozenset[str] | None = None,
) -> pd.Series:
    def report(bad: pd.Series, message: str) -> None:
        for index in bad.index[bad.fillna(False).to_numpy(dtype=bool)]:
            value = values.loc[index]
            problems.append(Problem(rows.loc[index], header, "" if pd.isna(value) else str(value).strip(), message))

    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if column.type in ("integer", "number", "yen") and numeric:
        text = None  # numbers already, as a GeoPackage or GeoJSON gives them
    else:
        text = cells(values)  # whole numbers read as floats (a GeoPackage code column) stay whole
    if column.required:
        report(text.isna() if text is not None else values.isna(), "required: must not be empty")
    if column.type in ("text", "codes"):
        report(text.str.contains(CONTROL, regex=True), "contains control characters (such as NUL): not text")
    if column.type == "text":
        if known is not None:
            text = spell_codes(text, known)
        if column.length:
            report(text.str.len() > column.length, f"longer than {column.length} characters")
        if column.allowed or column.refers in ("category", "district"):
            known = column.allowed or (references.categories if column.refers == "category" else references.districts)
            # Any case is accepted; the stored value is the code as the database spells it.
            spelt = {str(code).casefold(): code for code in known}
            text = parse(text, lambda t: lookup(fold(t), spelt)).fillna(text)
        if column.allowed:
            report(text.notna() & ~text.isin(column.allowed), f"not one of {', '.join(column.allowed)}")
        result = text.astype(object).where(text.notna(), None)
        if column.refers:
            _reference(column, result, report, references)
        return result
    if column.type in ("boolean", "soundness", "state"):
        mapped = parse(text, lambda t: lookup(fold(t), WORDS[column.type]))
        if column.type == "boolean":
            report(text.notna() & mapped.isna(), "not a yes/no value (true/false, 1/0, yes/no, はい/いいえ, ○/×)")
            return mapped.astype("boolean").fillna(False).astype(bool)
        if column.type == "state":
            report(text.notna() & mapped.isna(), "not a condition state: soundness Ⅰ–Ⅳ (I–IV or 1–4) or a score 1–5")
        else:
            report(text.notna() & mapped.isna(), "not a soundness class: Ⅰ–Ⅳ (I–IV or 1–4)")
        return mapped.astype("Int64")
    if column.type == "date":
        return _date(column, text, today, report)
    if column.type == "codes":
        return _codes(text, values, rows, header, references, problems)
    if column.type in ("integer", "yen"):
        return _whole_column(column, values if text is None else None, text, report, today)
    if text is None:
        return _bounded(column, values.astype("Float64"), report, today)
    numbers = parse(text, _number).astype("Float64")
    report(text.notna() & numbers.isna(), "not a number")
    return _bounded(column, numbers, report, today)


def _plain(text: pd.Series) -> pd.Series:
    """A number as typed (trimmed text, as :func:`~fm.io.files.cells` gives), without thousands separators, ``¥``
    and ``円``: ``text`` itself when no cell holds one (most columns: one pass instead of four)."""
    if not text.str.contains(r"[,¥円]", regex=True).fillna(False).any():
        return text
    return text.str.replace(",", "", regex=False).str.replace("¥", "", regex=False).str.removesuffix("円").str.strip()


def _number(text: pd.Series) -> pd.Series:
    return numbers(_plain(text))


_DIGITS = r"[+-]?[0-9]{1,18}"
"""Whole numbers that int64 holds whatever their digits: read at once, vectorised."""
INT64 = (-(2**63), 2**63 - 1)


def _exact(text: pd.Series) -> pd.Series:
    """Each number as an exact :class:`~decimal.Decimal` (object dtype, NA where it is not a number): never
    through a float, which holds whole numbers exactly only up to 2**53 (about 9×10¹⁵). Used for the cells
    the vectorised path (:data:`_DIGITS`) does not read: long numbers, decimals, exponents."""
    plain = _plain(text)
    out = np.full(len(plain), None, dtype=object)
    for n in np.flatnonzero(plain.notna().to_numpy()):
        try:
            out[n] = Decimal(plain.iloc[n])
        except InvalidOperation:
            pass
    return pd.Series(out, index=text.index, dtype=object)


def _whole_column(column: Column, numbers: pd.Series | None, text: pd.Series | None, report, today: date) -> pd.Series:
    """Whole numbers and yen, exactly: never through a float. Plain digits that int64 holds (nearly every
    cell) are read and checked vectorised; any other cell (19 digits, ``1e20``, ``12.5``, ``１２３``) as an
    exact Decimal. Checked against the type, the bounds and the largest value the database column holds;
    returned as Int64 (whose int64 holds every BIGINT exactly)."""
    given = numbers if numbers is not None else text
    assert given is not None
    index = given.index
    data = np.zeros(len(index), dtype="int64")  # the values, where ``read``
    read = np.zeros(len(index), dtype=bool)
    slow = np.full(len(index), None, dtype=object)  # Decimal, for the cells read one by one
    if numbers is not None:  # numbers already, as a GeoPackage or GeoJSON gives them
        present = numbers.notna().to_numpy()
        if pd.api.types.is_integer_dtype(numbers.dtype):
            data[present] = numbers[present].to_numpy(dtype="int64")
            read = present
        else:  # whole floats int64 holds, exactly, as numpy converts them; any other one as an exact Decimal
            floats = numbers.to_numpy(dtype=float, na_value=np.nan)
            read = (np.trunc(floats) == floats) & (floats >= -(2.0**63)) & (floats < 2.0**63)  # not NaN nor ±inf
            data[read] = floats[read].astype(np.int64)
            rest = present & ~read
            slow[rest] = [Decimal(v) for v in floats[rest].tolist()]
    else:
        assert text is not None
        plain = _plain(text)
        short = plain.str.fullmatch(_DIGITS).fillna(False).astype(bool).to_numpy()
        # numpy arrays, never a Series assignment, which aligns through float64
        data[short] = integers(plain[short])
        read = short.copy()
        rest = text.notna().to_numpy() & ~short
        if rest.any():
            slow[rest] = parse(text[rest], _exact).to_numpy(dtype=object)
            failed = rest & pd.isna(slow)
            report(pd.Series(failed, index=index), "not a number" + (" (whole yen)" if column.type == "yen" else ""))
    if pd.notna(slow).any():  # vectorised: most columns have no cell read as a Decimal
        _whole_decimals(column, pd.Series(slow, index=index, dtype=object), data, read, report)
    values = pd.Series(pd.arrays.IntegerArray(data, ~read), index=index)
    good = pd.Series(read, index=index)

    def check(bad: pd.Series, message: str) -> None:
        bad = good & bad.fillna(False).astype(bool)
        report(bad, message)
        good[bad] = False

    if column.low is not None:
        low = int(column.low)
        if column.low_open:
            check(values <= low, f"must be greater than {low:g}")
        elif low == 0:
            check(values < 0, "must not be negative")
        else:
            check(values < low, f"must be at least {low:g}")
    if column.high is not None:
        check(values > column.high, f"must be at most {column.high:g}")
    if column.most is not None:
        check(values > column.most, f"too large (at most {column.most:,})")
        check(values < -column.most - 1, f"too small (at least {-column.most - 1:,})")
    if column.name == "year_built":
        check(values > today.year, "is in the future")
    # A whole number out of bounds is kept (reported already, so nothing is written) for the rules across
    # fields: values holds every number int64 holds.
    return values


def _whole_decimals(column: Column, slow: pd.Series, data: np.ndarray, read: np.ndarray, report) -> None:
    """Check the cells read as Decimals; put the whole ones int64 holds into ``data`` (marking ``read``)."""
    n = len(slow)
    finite, whole, beyond, negative = (np.zeros(n, dtype=bool) for _ in range(4))
    for position, value in enumerate(slow.tolist()):
        if value is None or value is pd.NA or not value.is_finite():
            continue
        finite[position] = True
        if value != value.to_integral_value():
            continue
        whole[position] = True
        number = int(value)
        if INT64[0] <= number <= INT64[1]:
            data[position] = number
            read[position] = True
        else:
            beyond[position] = True
            negative[position] = number < 0
    present = slow.notna().to_numpy()

    def say(mask: np.ndarray, message: str) -> None:
        report(pd.Series(mask, index=slow.index), message)

    say(present & ~finite, "not a finite number")
    say(finite & ~whole, "must be a whole number" + (" of yen" if column.type == "yen" else ""))
    if column.low is not None and int(column.low) == 0:
        say(beyond & negative, "must not be negative")
        beyond = beyond & ~negative
    most = column.most if column.most is not None else INT64[1]
    say(beyond & ~negative, f"too large (at most {most:,})")
    say(beyond & negative, f"too small (at least {-most - 1:,})")


CODE_SEPARATORS = r"[\s,、;；]+"
"""Codes in a list are separated by new lines, spaces, commas (, or 、) or semicolons."""


def _codes(
    text: pd.Series, values: pd.Series, rows: pd.Series, header: str, references: References, problems: list[Problem]
) -> pd.Series:
    """A list of asset codes per cell, each one checked: a tuple of codes in the order given, each once."""
    split = text.fillna("").str.normalize("NFKC").str.split(CODE_SEPARATORS, regex=True)
    each = split.explode()
    spelt = spell_codes(each.astype("string"), references.assets).fillna("")
    # Plain Python over the few codes of each cell: a groupby's aggregate of tuples would be cast back to
    # the codes' own (Arrow) string type, losing them.
    found: dict[object, dict[str, None]] = {}
    for index, code in zip(spelt.index, spelt.tolist(), strict=True):
        if code:
            found.setdefault(index, {})[code] = None
    lists = pd.Series([tuple(found.get(index, ())) for index in text.index], index=text.index, dtype=object)
    for index, codes in lists.items():
        unknown = [c for c in codes if c not in references.assets]
        if unknown:
            problems.append(
                Problem(
                    rows.loc[index],
                    header,
                    str(values.loc[index]).strip(),
                    f"no asset with these codes in the database: {', '.join(unknown)}",
                )
            )
    return lists


def _reference(column: Column, values: pd.Series, report, references: References) -> None:
    if column.refers == "asset":
        known, what = references.assets, "no asset with this code in the database"
    elif column.refers == "service":
        known, what = references.services, "no service with this code in the database: import the services first"
    else:
        known = references.categories if column.refers == "category" else references.districts
        what = f"unknown {column.refers}; known: {', '.join(sorted(known)) or 'none'}"
    report(values.notna() & ~values.isin(known), what)


def _bounded(column: Column, numbers: pd.Series, report, today: date) -> pd.Series:
    """Check finite numbers against the column's type and bounds; whole numbers become Int64."""
    infinite = ~np.isfinite(numbers.fillna(0).to_numpy(dtype=float))
    report(pd.Series(infinite, index=numbers.index), "not a finite number")
    numbers = numbers.mask(infinite)
    whole = column.type in ("integer", "yen")
    if whole:
        report(
            numbers.notna() & (numbers % 1 != 0), "must be a whole number" + (" of yen" if column.type == "yen" else "")
        )
    if column.low is not None:
        if column.low_open:
            report(numbers <= column.low, f"must be greater than {column.low:g}")
        elif column.low == 0:
            report(numbers < 0, "must not be negative")
        else:
            report(numbers < column.low, f"must be at least {column.low:g}")
    if column.high is not None:
        report(numbers > column.high, f"must be at most {column.high:g}")
    if column.name == "year_built":
        report(numbers > today.year, "is in the future")
    if whole:
        return numbers.where(numbers % 1 == 0).round().astype("Int64")
    return numbers


def _date(column: Column, text: pd.Series, today: date, report) -> pd.Series:
    parsed = parse(text, _to_date)
    report(text.notna() & parsed.isna(), "not a date (write it as 2025-04-01)")
    if column.past:
        report(parsed > pd.Timestamp(today), f"is in the future (today is {today.isoformat()})")
    return parsed.dt.date.astype(object).where(parsed.notna(), None)


def _to_date(text: pd.Series) -> pd.Series:
    """ISO dates at once; then 2025/4/1, 2025.4.1, 2025年4月1日 and a date with a time of day."""
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    failed = text.notna() & parsed.isna()
    if failed.any():
        plain = (
            text[failed]
            .str.split("T")
            .str[0]
            .str.split(" ")
            .str[0]
            .str.replace(r"[/.年月]", "-", regex=True)
            .str.removesuffix("日")
        )
        parsed[failed] = pd.to_datetime(plain, format="%Y-%m-%d", errors="coerce")
    return parsed


def _rules(kind: Kind, out: pd.DataFrame, rows: pd.Series, names: dict[str, str], problems: list[Problem]) -> None:
    """Rules across fields of a row, each checked when the file has the columns it needs; a date a
    status needs counts as missing when the file has no column for it."""

    def get(name: str) -> pd.Series:
        return out[name] if name in out.columns else pd.Series(None, index=out.index, dtype=object)

    def rule(needs: tuple[str, ...], bad, field_: str, message: str) -> None:
        if not set(needs) <= set(out.columns):
            return
        for index in out.index[bad().fillna(False).to_numpy(dtype=bool)]:
            value = out.at[index, field_]
            problems.append(Problem(rows.loc[index], names[field_], "" if pd.isna(value) else str(value), message))

    if kind.name == "assets":
        for status, day in (("closed", "closed_on"), ("disposed", "disposed_on")):
            rule(
                ("status",),
                lambda s=status, d=day: (out["status"] == s) & get(d).isna(),
                "status",
                f"a {status} asset needs its {names.get(day, day)}",
            )
        rule(
            ("disposed_on", "acquisition_date"),
            lambda: _before(out, "disposed_on", "acquisition_date"),
            "disposed_on",
            "is before the acquisition date",
        )
    if kind.name == "parcels":
        rule(
            ("disposed_on", "acquired_on"),
            lambda: _before(out, "disposed_on", "acquired_on"),
            "disposed_on",
            "is before the acquisition date",
        )
        for given, other in (("utilisation", "use_since"), ("use_since", "utilisation")):
            rule(
                (given,),
                lambda g=given, o=other: out[g].notna() & get(o).isna(),
                given,
                f"needs its {names.get(other, other)} too",
            )
    if kind.name == "inspections":
        rule(
            ("inspected_on",),
            lambda: get("soundness").isna() == get("condition_score").isna(),
            "soundness" if "soundness" in out.columns else "inspected_on",
            f"give exactly one of {names.get('soundness', 'soundness')} and "
            f"{names.get('condition_score', 'condition_score')}",
        )
        rule(
            ("next_due_on", "inspected_on"),
            lambda: _before(out, "next_due_on", "inspected_on"),
            "next_due_on",
            "is before the inspection",
        )
    if kind.name == "work_orders":
        rule(
            ("status",),
            lambda: (out["status"] == "completed") & get("completed_on").isna(),
            "status",
            f"a completed work order needs its {names.get('completed_on', 'completed_on')}",
        )
        rule(
            ("kind",),
            lambda: (out["kind"] == "reactive") & get("cause").isna(),
            "cause" if "cause" in out.columns else "kind",
            f"a reactive work order needs its {names.get('cause', 'cause')} (e.g. sudden_failure)",
        )
        rule(
            ("completed_on", "started_on"),
            lambda: _before(out, "completed_on", "started_on"),
            "completed_on",
            "is before the start date",
        )
    if kind.name == "plans":
        rule(
            ("period_start_fy", "period_end_fy"),
            lambda: out["period_end_fy"] < out["period_start_fy"],
            "period_end_fy",
            f"is before {names.get('period_start_fy', 'period_start_fy')}",
        )


SCALE_STATES = {"soundness": 4, "score": 5}
"""The number of condition states J of each category's ``condition_scale``."""


def state_after_problem(state: int, *, status: str | None, scale: str | None, asset: str, category: str) -> str | None:
    """Why ``state`` cannot be a work order's condition after the work (None when it can): only completed
    work records one, within the scale of the asset's category (``scale``: ``soundness`` Ⅰ–Ⅳ or ``score`` 1–5).

    >>> state_after_problem(5, status="completed", scale="soundness", asset="B-1", category="bridge")
    'asset B-1 is a bridge, whose condition is a soundness class Ⅰ–Ⅳ (1–4)'
    >>> state_after_problem(2, status="completed", scale="soundness", asset="B-1", category="bridge") is None
    True
    """
    if status != "completed":
        return (
            f"only a completed work order records the condition after the work (its status is {status}): "
            "set its status to completed, or leave this empty"
        )
    most = SCALE_STATES.get(scale or "")
    if most is not None and state > most:
        words = "a soundness class Ⅰ–Ⅳ (1–4)" if scale == "soundness" else "a score 1–5"
        return f"asset {asset} is a {category}, whose condition is {words}"
    return None


def _before(out: pd.DataFrame, later: str, earlier: str) -> pd.Series:
    a, b = pd.to_datetime(out[later]), pd.to_datetime(out[earlier])
    return a.notna() & b.notna() & (a < b)


def _duplicates(kind: Kind, out: pd.DataFrame, rows: pd.Series, names: dict[str, str], problems: list[Problem]) -> None:
    if not set(kind.key) <= set(out.columns):
        return
    shown = out[list(kind.key)].astype("string")
    keys = shown.apply(fold)  # codes in any case are the same code
    repeated = keys.duplicated(keep="first") & keys.notna().all(axis=1)
    first = keys.drop_duplicates(keep="first").reset_index().set_index(list(kind.key))["index"]
    for index in out.index[repeated.to_numpy()]:
        key = tuple(keys.loc[index])
        where = rows.loc[first.loc[key if len(key) > 1 else key[0]]]
        problems.append(
            Problem(
                rows.loc[index],
                " + ".join(names[k] for k in kind.key),
                " / ".join(shown.loc[index]),
                f"duplicate: the same {' and '.join(kind.key)} as {where}",
            )
        )


def _in_file_order(problems: list[Problem], rows: pd.Series) -> list[Problem]:
    order = {label: n for n, label in enumerate(rows)}
    return sorted(problems, key=lambda p: order.get(p.row, -1))


def yen(text: str, *, field: str) -> int:
    """One amount of yen as typed in a form (``1,200,000``, ``¥1200000``, ``1200000円``), by the importer's
    rules for a yen column; ValidationError naming ``field`` otherwise.

    >>> yen("¥1,200,000", field="planned_amount")
    1200000
    """
    problems: list[str] = []
    column = Column(field, field, "yen", low=0, most=BIGINT_MOST)
    text_ = pd.Series([str(text).strip() or None], dtype="string")
    value = _whole_column(
        column, None, text_, lambda bad, message: problems.extend([message] if bad.any() else []), date.today()
    ).iloc[0]
    if problems:
        raise ValidationError(f"{field}: {problems[0]}")
    if pd.isna(value):
        raise ValidationError(f"{field}: not a number (whole yen)")
    return int(value)
