"""Claims as the faces show them: a new claim and its lines, a claim's row in the Claims table, the
whole claim in its window, the dashboard's lines and totals, filters, and prior authorizations.

Plain data read from the store (kettrack.store.claim_views); nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from kettrack.core.claim_history import ZERO, AttachmentInfo, ClaimEvent, Filer, SubmitMethod
from kettrack.core.claim_money import Money
from kettrack.core.claim_states import ClaimState, Status
from kettrack.core.deadlines import Deadline, DeadlineKind
from kettrack.core.enums import AuthStatus, CoverageRank, PayerKind

if TYPE_CHECKING:
    from kettrack.core.denial_triage import Triage


@dataclass(frozen=True)
class ClaimLine:
    """A service line the claim bills (copied when the claim is made, so history stays true)."""

    service_line_id: int | None
    service_date: date
    code: str
    modifiers: str
    units: int
    charge: Decimal


@dataclass(frozen=True)
class NewClaim:
    """A claim as a person starts it: usually from an issued superbill."""

    coverage_id: int
    superbill_id: int | None = None
    service_line_ids: tuple[int, ...] = ()
    filer: Filer = Filer.PATIENT
    method: SubmitMethod = SubmitMethod.MAIL
    replaces_id: int | None = None
    primary_claim_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class NextStep:
    """The one thing to do next on a claim, as the dashboard and the claims table show it."""

    kind: DeadlineKind
    due: date
    action: str
    explanation: str
    confirmed: bool = True


@dataclass(frozen=True)
class ClaimRow:
    """A claim as the Claims table and the dashboard list it."""

    id: int
    number: str
    patient_id: int
    patient_name: str
    payer_id: int
    payer_name: str
    payer_kind: PayerKind
    rank: CoverageRank
    state: ClaimState
    status_text: str
    first_service: date
    last_service: date
    billed: Decimal
    paid: Decimal
    outstanding: Decimal
    payer_claim_number: str
    next_due: date | None
    next_action: str
    next_kind: DeadlineKind | None
    next_confirmed: bool = True

    def is_overdue(self, today: date) -> bool:
        return self.next_due is not None and self.next_due < today


@dataclass(frozen=True)
class PriorAuthInfo:
    id: int
    patient_id: int
    coverage_id: int
    auth_number: str
    status: str
    requested_on: date | None
    decided_on: date | None
    codes: str
    units: int | None
    valid_from: date | None
    valid_to: date | None
    notes: str = ""
    claim_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LetterInfo:
    """An issued appeal letter: its number, level, file and SHA-256."""

    id: int
    claim_id: int
    number: str
    level: str
    issued_at: datetime
    file_name: str
    sha256: str


@dataclass(frozen=True)
class ClaimDetail:
    """Everything the claim view shows: the row, its lines, timeline, money and deadlines."""

    row: ClaimRow
    coverage_id: int
    member_id: str
    filer: Filer
    method: SubmitMethod
    superbill_id: int | None
    replaces_id: int | None
    replaced_by_id: int | None
    primary_claim_id: int | None
    status: Status
    lines: tuple[ClaimLine, ...]
    events: tuple[ClaimEvent, ...]
    money: Money
    deadlines: tuple[Deadline, ...]
    attachments: tuple[AttachmentInfo, ...]
    auths: tuple[PriorAuthInfo, ...]
    letters: tuple[LetterInfo, ...]
    rules_confirmed: bool = True
    triage: Triage | None = None  # what the latest EOB or denial says, and the next step it leads to


@dataclass(frozen=True)
class DueItem:
    """A line of the dashboard: a claim (or an authorization) with the thing to do and by when."""

    due: date
    action: str
    explanation: str
    claim_id: int | None
    claim_number: str
    patient_name: str
    payer_name: str
    kind: DeadlineKind
    confirmed: bool = True
    auth_id: int | None = None
    session_id: int | None = None  # a session's Spravato REMS form (kettrack.core.rems)

    def days_left(self, today: date) -> int:
        return (self.due - today).days


@dataclass(frozen=True)
class Totals:
    billed: Decimal = ZERO
    reimbursed: Decimal = ZERO
    outstanding: Decimal = ZERO
    open_claims: int = 0


@dataclass(frozen=True)
class Dashboard:
    today: date
    overdue: tuple[DueItem, ...]
    within_7: tuple[DueItem, ...]
    within_30: tuple[DueItem, ...]
    totals: Totals
    later: tuple[DueItem, ...] = ()  # the next few steps beyond 30 days, so every open claim has a line


@dataclass(frozen=True)
class ClaimFilter:
    states: tuple[ClaimState, ...] = ()
    payer_id: int | None = None
    patient_id: int | None = None
    overdue_only: bool = False
    open_only: bool = False
    text: str = ""


@dataclass(frozen=True)
class NewPriorAuth:
    coverage_id: int
    status: AuthStatus
    auth_number: str = ""
    requested_on: date | None = None
    decided_on: date | None = None
    codes: str = ""
    units: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    notes: str = ""
    claim_ids: tuple[int, ...] = ()
