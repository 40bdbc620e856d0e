"""A pre-flight problem that says how to fix it: the message (as the person reads it), the record and
field that hold the fault, and the command that fixes it on the command line.

The window opens the record named here (kettrack.ui.superbill_dialog); the command line prints
``fix``, a kettrack command in which the words of ``PLACEHOLDERS`` (NPI, ZIP, YYYY-MM-DD...) stand
for the value the person puts in. A record's field is fixed with its group's ``edit`` command
(``kettrack providers edit 3 --npi NPI``), a billing line with ``kettrack lines``. The few problems no
single command fixes (a superbill with more than 12 diagnoses) carry no command: the CLI then names
the record and where the window edits it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from kettrack.core.enums import LabeledEnum
from kettrack.core.line_rules import LineProblem

__all__ = ["PLACEHOLDERS", "BillProblem", "RecordKind", "chained", "edit_fix", "line_fix", "messages"]


class RecordKind(LabeledEnum):
    """Which kind of record holds the field a problem is about."""

    PROVIDER = "provider"
    PATIENT = "patient"
    COVERAGE = "coverage"
    PAYER = "payer"
    SESSION = "session"
    LINE = "line"  # a session's service lines: ``record_id`` is the session's id
    FEE = "fee"  # a fee schedule entry: ``record_id`` is the provider's (or clinic's) id
    SUPERBILL = "superbill"
    CLAIM = "claim"  # a claim (its timeline of events): letters' problems only


# The words a fix command holds where the person puts a value, and what each stands for.
PLACEHOLDERS: dict[str, str] = {
    "NPI": "the 10-digit NPI",
    "TIN": "the tax ID (EIN), like 12-3456789",
    "CREDENTIALS": "the credentials, like MD",
    "STREET": "the street address",
    "CITY": "the city",
    "ZIP": "the ZIP code",
    "PHONE": "the phone number",
    "YYYY-MM-DD": "the date",
    "MEMBER_ID": "the member ID on the insurance card",
    "PAYER_ID": "the payer's id (kettrack payers list)",
    "ICD10": "the ICD-10-CM code",
    "AMOUNT": "the amount, like 450.00",
    "UNITS": "the number of units",
    "NDC": "the drug's NDC",
    "QUANTITY": "the drug quantity",
    "ADDRESS": "the address, its lines as on the plan's documents",
    "CLAIM_NUMBER": "the claim number the payer gave (on the EOB or denial)",
    "KIND": "the kind of treatment (kettrack treatments add --help lists them)",
    "NAME": "the treatment's name, like Sertraline",
    "AUTH_NUMBER": "the prior authorization number",
}

# The command group that edits each kind of record (``kettrack GROUP edit ID --option VALUE``).
_EDIT_GROUPS: dict[RecordKind, str] = {
    RecordKind.PROVIDER: "providers",
    RecordKind.PATIENT: "patients",
    RecordKind.COVERAGE: "coverages",
    RecordKind.PAYER: "payers",
    RecordKind.SESSION: "infusions",
}

# Where the window edits each kind of record, in the words of its navigation.
WHERE_IN_WINDOW: dict[RecordKind, str] = {
    RecordKind.PROVIDER: "People › Providers & clinics",
    RecordKind.PATIENT: "People › Patients",
    RecordKind.COVERAGE: "People › Coverages",
    RecordKind.PAYER: "People › Payers",
    RecordKind.SESSION: "Infusions › the session",
    RecordKind.LINE: "Infusions › the session's billing lines",
    RecordKind.FEE: "Billing › Fee schedules",
    RecordKind.SUPERBILL: "the superbill",
    RecordKind.CLAIM: "Claims › the claim",
}


@dataclass(frozen=True)
class BillProblem:
    """One thing that keeps a superbill from being issued, and how to fix it."""

    message: str
    record: RecordKind = RecordKind.SUPERBILL
    record_id: int | None = None
    field: str = ""
    fix: str = ""  # the kettrack command that fixes it; "" when only the window can

    def __str__(self) -> str:
        return self.message

    @property
    def where(self) -> str:
        """Where the window edits the record, e.g. "People › Patients"."""
        return WHERE_IN_WINDOW[self.record]

    def how_to_fix(self) -> str:
        """The command line's advice: the command, else the record and its place in the window."""
        if self.fix:
            return self.fix
        which = f" {self.record_id}" if self.record_id is not None else ""
        field = f", field {self.field}" if self.field else ""
        return f"in the window: {self.where} ({self.record.value}{which}{field})"


def messages(problems: Sequence[BillProblem | str]) -> list[str]:
    return [str(p) for p in problems]


def _cmd(*words: str) -> str:
    return "kettrack " + " ".join(shlex.quote(w) for w in words)


def edit_fix(record: RecordKind, record_id: int | None, *options: str) -> str:
    """``kettrack GROUP edit ID OPTIONS...`` for a record's field ("" for a record without an id or
    without an edit command)."""
    group = _EDIT_GROUPS.get(record)
    if record_id is None or group is None:
        return ""
    return _cmd(group, "edit", str(record_id), *options)


def chained(*commands: str) -> str:
    """Several commands run one after the other (stopping at the first that fails); "" if any is ""."""
    return " && ".join(commands) if commands and all(commands) else ""


def line_fix(
    problem: LineProblem, session_id: int | None, code: str, fee_provider_id: int | None, ndc: str
) -> str:
    """The command that fixes a line rule's problem on the line with ``code`` of session ``session_id``."""
    if session_id is None:
        return ""
    session = str(session_id)
    if problem.action == "remove":
        return _cmd("lines", "remove", "--session", session, "--code", problem.suggestion or code)
    if problem.action == "replace":
        return (
            _cmd("lines", "remove", "--session", session, "--code", code)
            + " && "
            + _cmd("lines", "set", "--session", session, "--code", problem.suggestion)
        )
    if problem.action == "container":
        if fee_provider_id is None:
            return ""
        return _cmd(
            "fees", "set", "--provider", str(fee_provider_id), "--code", code, "--ndc", ndc,
            "--container", problem.suggestion.replace("_", "-"),
        )  # fmt: skip
    base = ["lines", "set", "--session", session, "--code", code]
    value = problem.suggestion
    if problem.field == "place_of_service":
        return _cmd(*base, "--pos", value or "11")
    if problem.field == "modifiers":
        mods = value.split() or [""]
        return _cmd(*base, *[w for m in mods for w in ("--modifier", m)])
    if problem.field == "units":
        return _cmd(*base, "--units", value or "UNITS")
    if problem.field == "ndc":
        return _cmd(*base, "--ndc", value or "NDC")
    if problem.field == "ndc_unit":
        return _cmd(*base, "--ndc", ndc, "--ndc-unit", value or "UN")
    if problem.field == "ndc_quantity":
        return _cmd(*base, "--ndc", ndc, "--ndc-qty", "QUANTITY")
    return ""
