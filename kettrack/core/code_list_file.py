"""A list of CPT/HCPCS codes with their effective dates, as a CSV file the user loads (a payer's or
CMS's quarterly changes retyped in a spreadsheet, say): ``code,description,kind,from,to,replaced_by``.
Read as hostile input: a size limit, every row checked, and the whole file refused on any problem."""

from __future__ import annotations

import csv
import io
from datetime import date

from kettrack.core.billing_checks import check_procedure_code
from kettrack.core.codes import CodeKind, ProcedureCode
from kettrack.core.problems import InvalidInput, Problem

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
COLUMNS = ("code", "description", "kind", "from", "to", "replaced_by")


def read_code_list(data: bytes) -> list[ProcedureCode]:
    """The codes of the file, each checked; InvalidInput naming every bad row, and nothing returned."""
    if len(data) > MAX_BYTES:
        raise InvalidInput.single(
            "file", f"the file is over {MAX_BYTES // 2**20} MB: a code list is far smaller"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput.single("file", f"byte {exc.start} is not text (UTF-8)") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0]][: len(COLUMNS)] != list(COLUMNS):
        raise InvalidInput.single("file", f"the first line must name the columns: {','.join(COLUMNS)}")
    if len(rows) - 1 > MAX_ROWS:
        raise InvalidInput.single("file", f"the file has over {MAX_ROWS:,} codes")
    problems: list[Problem] = []
    codes: list[ProcedureCode] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {number}"
        if len(row) != len(COLUMNS):
            problems.append(Problem(where, f"has {len(row)} columns, not {len(COLUMNS)}"))
            continue
        code, description, kind, starts, ends, replaced_by = (cell.strip() for cell in row)
        try:
            entry = check_procedure_code(
                ProcedureCode(
                    code.upper(),
                    CodeKind(kind.lower() or "other"),
                    description,
                    1,
                    date.fromisoformat(starts) if starts else None,
                    date.fromisoformat(ends) if ends else None,
                    replaced_by.upper(),
                )
            )
        except ValueError as exc:
            if isinstance(exc, InvalidInput):
                problems.extend(Problem(f"{where}: {p.field}", p.message) for p in exc.problems)
            else:
                problems.append(
                    Problem(
                        where,
                        f"a kind ({', '.join(k.value for k in CodeKind)}) or a date "
                        f"(YYYY-MM-DD) cannot be read: {exc}",
                    )
                )
            continue
        if entry.code in seen:
            problems.append(Problem(f"{where}: code", f"{entry.code} appears twice"))
        seen.add(entry.code)
        codes.append(entry)
    if problems:
        raise InvalidInput(problems)
    if not codes:
        raise InvalidInput.single("file", "the file lists no codes")
    return codes
