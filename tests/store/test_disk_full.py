"""A full disk: writing stops with a clear error, and the database keeps every committed record,
none of the failed one, and passes ``integrity_check``.

Issued documents live inside the database now, so they fill it fastest: an attachment or a superbill
that does not fit leaves neither its record nor its document.

Two ways to fill a disk: a real 2 MB tmpfs where this machine lets the test mount one (root with
the capability), and always a per-process file-size limit (``RLIMIT_FSIZE``), which makes the
operating system refuse to grow the files exactly as a full disk does.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kettrack.cli import main
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.records import InfusionRecord, PatientRecord
from kettrack.services.demo import fill_demo
from kettrack.services.workspace import Workspace
from kettrack.store.database import Database
from tests.store.stored_documents import assert_no_document_files, sha256
from tests.store.tmpfs import mounted_tmpfs

TODAY = date(2026, 11, 23)
NOTE = "Felt calm; slept well. " * 150  # about 3.5 kB a session, so a few hundred fill 2 MB


def _fill(path: Path, icd10: Any) -> tuple[int, BaseException]:
    """Add sessions until the disk refuses; returns how many were committed and the error."""
    ws = Workspace(Database.open(path), today=lambda: TODAY)
    ws._icd = Icd10Releases([icd10])
    committed = 0
    try:
        patient = ws.patients.add(PatientRecord("Disk Full", date_of_birth=date(1970, 1, 1)))
        assert patient.id is not None
        while committed < 5000:
            day = TODAY - timedelta(days=committed % 3000)
            try:
                ws.infusions.add(InfusionRecord(patient.id, day, diagnoses=("F33.2",), notes=NOTE))
            except Exception as exc:
                return committed, exc
            committed += 1
        raise AssertionError("the disk never filled up")
    finally:
        ws.close()


def _check(path: Path, committed: int) -> None:
    connection = sqlite3.connect(path)
    try:
        assert [r[0] for r in connection.execute("PRAGMA integrity_check")] == ["ok"]
        assert connection.execute("SELECT count(*) FROM infusions").fetchone()[0] == committed
        assert connection.execute("SELECT count(*) FROM patients").fetchone()[0] == 1
    finally:
        connection.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "2m") as mounted:
        yield mounted


def test_a_full_tmpfs_stops_writing_and_keeps_the_database_whole(
    small_disk: Path, template_db: Path, icd10: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = small_disk / "kettrack.sqlite3"
    shutil.copyfile(template_db, path)
    committed, error = _fill(path, icd10)
    assert committed > 10
    assert "full" in str(error).lower()
    _check(path, committed)
    # The command line says so in one line and exits 2; nothing is half-saved.
    code = main(
        ["--db", str(path), "infusions", "add", "--patient", "1", "--date", "2026-11-01", "--notes", NOTE]
    )
    err = capsys.readouterr().err.strip()
    assert code in (0, 2)
    if code == 2:
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert "full" in err or "No space left" in err
    _check(path, committed + (1 if code == 0 else 0))


def test_a_file_size_limit_acts_as_a_full_disk(tmp_path: Path, template_db: Path, icd10: Any) -> None:
    path = tmp_path / "kettrack.sqlite3"
    shutil.copyfile(template_db, path)
    limit = path.stat().st_size + 1_500_000
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            # Growing a file past the limit fails with EFBIG instead of killing the process.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            committed, error = _fill(path, icd10)
            os.write(write_fd, f"{committed}\n{type(error).__name__}: {error}".encode())
        except BaseException as exc:
            os.write(write_fd, f"-1\n{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    report = b""
    while chunk := os.read(read_fd, 4096):
        report += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    first, _, message = report.decode().partition("\n")
    committed = int(first)
    assert committed > 10, message
    # SQLite reports EFBIG as an I/O error rather than "disk full"; either way the write is refused.
    assert "full" in message.lower() or "disk i/o error" in message.lower(), message
    _check(path, committed)


def _in_child(limit: int, work: Any) -> str:
    """Run ``work()`` in a forked child whose files cannot grow past ``limit`` bytes; what it returned."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            os.write(write_fd, str(work()).encode())
        except BaseException as exc:
            os.write(write_fd, f"-1\n{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    report = b""
    while chunk := os.read(read_fd, 4096):
        report += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    return report.decode()


def test_documents_that_do_not_fit_leave_no_record_and_no_bytes(
    tmp_path: Path, template_db: Path, icd10: Any
) -> None:
    path = tmp_path / "kettrack.sqlite3"
    shutil.copyfile(template_db, path)
    ws = Workspace(Database.open(path), today=lambda: TODAY)
    ws._icd = Icd10Releases([icd10])
    try:
        fill_demo(ws)
    finally:
        ws.close()
    scans = []
    for n in range(12):  # 1 MB each, all different: each one a new documents row
        scan = tmp_path / f"eob-{n}.pdf"
        scan.write_bytes(b"%PDF-1.7\n" + os.urandom(1_000_000))
        scans.append(scan)
    connection = sqlite3.connect(path)
    documents_before = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
    superbills_before = connection.execute("SELECT count(*) FROM superbills").fetchone()[0]
    connection.close()

    def attach_until_full() -> str:
        from kettrack.services.superbills import SuperbillRequest

        child = Workspace(Database.open(path), today=lambda: TODAY)
        child._icd = Icd10Releases([icd10])
        attached, error = 0, None
        try:
            for scan in scans:
                try:
                    child.claims.attach(1, scan, "EOB")
                except Exception as exc:
                    error = exc
                    break
                attached += 1
            try:  # with the disk full, a superbill too
                child.superbills.issue(SuperbillRequest(infusion_ids=(1,)))
                issued = 1
            except Exception:
                issued = 0
        finally:
            child.close()
        return f"{attached}\n{issued}\n{type(error).__name__}: {error}"

    report = _in_child(path.stat().st_size + 3_500_000, attach_until_full)
    first, second, message = (report.split("\n", 2) + ["", ""])[:3]
    attached, issued = int(first), int(second or 0)
    assert 1 <= attached < len(scans), report
    assert "full" in message.lower() or "disk i/o error" in message.lower(), message
    connection = sqlite3.connect(path)
    try:
        assert [r[0] for r in connection.execute("PRAGMA integrity_check")] == ["ok"]
        rows = connection.execute("SELECT sha256 FROM claim_attachments WHERE claim_id = 1").fetchall()
        superbills = connection.execute("SELECT sha256 FROM superbills").fetchall()
        held = {sha: bytes(c) for sha, c in connection.execute("SELECT sha256, content FROM documents")}
    finally:
        connection.close()
    # Each committed record has its document, whole; the one that failed left neither.
    assert len(superbills) == superbills_before + issued
    assert len(held) == documents_before + attached + issued
    wanted = {sha for (sha,) in rows} | {sha for (sha,) in superbills}
    assert wanted <= set(held) and all(sha256(held[sha]) == sha for sha in wanted)
    assert {sha256(s.read_bytes()) for s in scans[:attached]} <= set(held)
    assert not {sha256(s.read_bytes()) for s in scans[attached:]} & set(held)
    assert_no_document_files(tmp_path, except_for=tuple(scans))
