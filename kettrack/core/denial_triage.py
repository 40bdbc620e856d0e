"""Denial triage: what a recorded EOB or denial means, read by group code (CO, PR, OA, PI), reason
code (CARC) and remark codes (RARC), turned into plain words for the person and the next step.

The route decides what kettrack offers next (a patient balance, a corrected claim, the authorization
route, an appeal and which arguments the appeal letter carries). Words for the person (``explanation``,
``next_step``, ``action``) are advice: they never go into a letter sent to a payer.

How an EOB is read:
- the patient's share is the PR-1/PR-2/PR-3 lines (or the deductible, coinsurance and copay stated on
  the EOB, whichever is more) and PR-45 (above the allowance, out of network);
- the contractual reduction is the CO-45 lines, or billed less allowed when only the allowance is given;
- every other line is a refusal: its reason code, or the remark codes of a generic reason (CO-16,
  CO-252), give its route, and when several routes appear the first in ``PRECEDENCE`` wins;
- with no refusal, an EOB whose payment, reduction and patient share cover the charge is paid as
  expected; a payment short of that with nothing to explain it falls to the general appeal rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from kettrack.core.claims import (
    COST_SHARES,
    WRITE_OFFS,
    ZERO,
    Adjustment,
    Filer,
    GroupCode,
    PriorAuthInfo,
    contractual_reduction,
)
from kettrack.core.denial_codes import APPEAL_ROUTES, PRECEDENCE, DenialCode, TriageRoute, denial_code
from kettrack.core.enums import AuthStatus, UserRole
from kettrack.core.triage_words import describe

__all__ = [
    "CodeReading",
    "Triage",
    "TriageContext",
    "TriageRoute",
    "authorization_on_file",
    "collects_share",
    "triage",
]


@dataclass(frozen=True)
class CodeReading:
    """One code of the notice in plain words."""

    code: str  # "CO-50" for a reason with its group, "N130" for a remark
    meaning: str  # the person's own description of the code, else kettrack's
    known: bool = True


@dataclass(frozen=True)
class TriageContext:
    """What the next step depends on beyond the notice: who uses kettrack and who filed the claim
    (who collects the patient's share), the prior authorizations on file, the dates of service and
    the claim's submission date (timely-filing proof), and the person's own words for codes."""

    role: UserRole | None = None
    filer: Filer | None = None
    auths: tuple[PriorAuthInfo, ...] = ()
    service_dates: tuple[date, ...] = ()
    submitted_on: date | None = None
    words: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (code, "carc"/"rarc") -> words


@dataclass(frozen=True)
class Triage:
    """The reading of one EOB or denial."""

    route: TriageRoute
    explanation: str  # plain words for the person: what the payer said
    next_step: str  # plain words for the person: what to do next
    codes: tuple[str, ...] = ()  # the codes read, like ("CO-197", "N54")
    unknown_codes: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # for a corrected claim: what information is missing
    patient_share: Decimal = Decimal("0.00")  # PR adjustments (or the stated deductible/coinsurance/copay)
    also: tuple[TriageRoute, ...] = ()  # the other routes the codes point to, in precedence order
    readings: tuple[CodeReading, ...] = ()  # each code in plain words
    action: str = ""  # the next step in a few words (the claims table's "To do")
    disputed: Decimal = Decimal("0.00")  # what the refusals hold back (the amount an appeal is about)
    shortfall: Decimal = Decimal("0.00")  # paid less than the codes explain
    new_claim: bool = False  # MA130: a new claim, not a corrected one (no appeal rights)
    bill_patient: bool = False  # the person collects the patient's share (a clinic that filed)
    authorization: PriorAuthInfo | None = None  # the approved authorization on file for these dates

    @property
    def appeal(self) -> bool:
        """Whether the route ends in an appeal (never for a balance, a corrected claim or a check)."""
        return self.route in APPEAL_ROUTES


def collects_share(role: UserRole | None, filer: Filer | None) -> bool:
    """Whether the person using kettrack bills the patient their share: a clinic's billing desk for a
    claim the clinic filed. A patient owes their share (nothing to chase), and a claim a patient filed
    themselves with the clinic's superbill was paid at the visit. With no role set, who filed decides."""
    if role is UserRole.PATIENT:
        return False
    return filer is Filer.CLINIC


def authorization_on_file(
    auths: Sequence[PriorAuthInfo], service_dates: Sequence[date]
) -> PriorAuthInfo | None:
    """The approved prior authorization that covers the dates of service (the one covering most of
    them), or None."""
    best: PriorAuthInfo | None = None
    best_count = 0
    for auth in auths:
        if auth.status != AuthStatus.APPROVED.value:
            continue
        count = sum(
            1
            for day in service_dates
            if (auth.valid_from is None or auth.valid_from <= day)
            and (auth.valid_to is None or day <= auth.valid_to)
        )
        if not service_dates:
            count = 1
        if count > best_count:
            best, best_count = auth, count
    return best


def _codes_of(text: str) -> list[str]:
    return [part.strip().upper() for part in text.replace(",", " ").split() if part.strip()]


@dataclass
class _Refusal:
    """What the lines of the notice say beyond the patient's share and the contractual reduction."""

    routes: set[TriageRoute] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    meanings: list[str] = field(default_factory=list)
    new_claim: bool = False
    amount: Decimal = ZERO

    def read(self, entries: list[DenialCode], context: TriageContext) -> None:
        """What a refusal's remark codes add: what is missing, whether it is a new claim, their words."""
        for entry in entries:
            if entry.missing and entry.missing not in self.missing:
                self.missing.append(entry.missing)
            self.new_claim = self.new_claim or entry.new_claim
            words = _word(context, entry.code, "rarc", entry)
            if words:
                self.meanings.append(f"{words.rstrip('.')} ({entry.code})")


def _word(context: TriageContext, code: str, kind: str, entry: DenialCode | None) -> str:
    return context.words.get((code, kind)) or (entry.meaning if entry else "")


def triage(
    adjustments: Iterable[Adjustment],
    remarks: Iterable[str] = (),
    *,
    billed: Decimal | None = None,
    paid: Decimal | None = None,
    patient_share: Decimal | None = None,
    allowed: Decimal | None = None,
    context: TriageContext | None = None,
) -> Triage:
    """Read an EOB or denial: its adjustment lines, the remark codes given for the whole claim, and
    what it paid against ``billed`` (what was open on the claim; None: the amounts are not weighed)."""
    context = context or TriageContext()
    lines = list(adjustments)
    claim_remarks = [c for text in remarks for c in _codes_of(text)]
    codes: list[str] = []
    readings: list[CodeReading] = []
    refusal = _Refusal()
    stated_share = patient_share if patient_share is not None else ZERO
    line_share = ZERO
    unknown_remarks: list[str] = []

    def read_remarks(found: list[str]) -> list[DenialCode]:
        """The remark codes' entries (each code read once), noting those kettrack does not know."""
        entries = []
        for remark in found:
            if remark in codes:
                continue
            codes.append(remark)
            entry = denial_code(remark, "rarc")
            meaning = _word(context, remark, "rarc", entry)
            readings.append(
                CodeReading(remark, meaning or "a remark code kettrack does not know", entry is not None)
            )
            if entry is None:
                unknown_remarks.append(remark)
            else:
                entries.append(entry)
        return entries

    for line in lines:
        reason = line.reason.strip().upper()
        name = f"{line.group.value}-{reason}"
        codes.append(name)
        entry = denial_code(reason, "carc")
        words = _word(context, reason, "carc", entry)
        readings.append(CodeReading(name, words or "a reason code kettrack does not know", entry is not None))
        remarks_read = read_remarks(_codes_of(line.remarks))
        if line.group is GroupCode.PR and (reason in COST_SHARES or reason in WRITE_OFFS):
            line_share += line.amount  # the patient's share: paid as expected
            continue
        if reason in WRITE_OFFS:
            continue  # the contractual reduction: paid as expected
        # Every other line refuses something: its reason code (or, for CO-16, its remarks) says what.
        refusal.amount += line.amount
        at = len(refusal.meanings)  # the reason's words go before its remarks' words
        refusal.read(remarks_read, context)
        remark_routes = {r.route for r in remarks_read if r.route is not None}
        if entry is None:
            refusal.unknown.append(name)
            refusal.routes |= remark_routes
            continue
        if words:
            refusal.meanings.insert(at, f"{words.rstrip('.')} ({name})")
        if entry.generic and remark_routes:
            refusal.routes |= remark_routes  # the remark codes say what CO-16 is about
            continue
        if entry.missing:
            refusal.missing.append(entry.missing)
        if entry.route is not None:
            refusal.routes.add(entry.route)
        refusal.routes |= remark_routes
    # Remark codes for the whole claim (MA130 often comes so) count as the lines' remarks do.
    claim_wide = read_remarks(claim_remarks)
    refusal.read(claim_wide, context)
    refusal.routes |= {r.route for r in claim_wide if r.route is not None}
    if refusal.missing and len(refusal.missing) > 1:
        # CO-16's own words ("what the remark codes name") give way to what the remark codes name.
        generic = {c.missing for c in (denial_code("16", "carc"), denial_code("252", "carc")) if c}
        refusal.missing = [m for m in refusal.missing if m not in generic] or refusal.missing
    # Remark codes that only inform (N130, N115) do not refuse anything on a paid line.
    refusal.routes.discard(TriageRoute.PAID_AS_EXPECTED)
    share = max(line_share, stated_share)
    shortfall = ZERO
    if billed is not None and paid is not None:
        reduction = contractual_reduction(billed, allowed, lines)
        shortfall = max(ZERO, billed - paid - reduction - share - refusal.amount)
    if refusal.unknown and not refusal.routes:
        refusal.routes.add(TriageRoute.UNKNOWN)
    if shortfall > 0 and not refusal.routes:
        refusal.routes.add(TriageRoute.UNKNOWN)
    ordered = [r for r in PRECEDENCE if r in refusal.routes]
    route = ordered[0] if ordered else TriageRoute.PAID_AS_EXPECTED
    if not lines and not claim_remarks and paid is not None and paid == ZERO and billed:
        route, ordered = TriageRoute.UNKNOWN, [TriageRoute.UNKNOWN]  # a refusal that gives no reason
    auth = authorization_on_file(context.auths, context.service_dates)
    bill_patient = share > 0 and collects_share(context.role, context.filer)
    disputed = refusal.amount if refusal.amount > 0 else shortfall
    reading = Triage(
        route=route,
        explanation="",
        next_step="",
        codes=tuple(codes),
        unknown_codes=tuple(dict.fromkeys([*refusal.unknown, *unknown_remarks])),
        missing=tuple(dict.fromkeys(refusal.missing)) if route is TriageRoute.CORRECTED_CLAIM else (),
        patient_share=share,
        also=tuple(ordered[1:]),
        readings=tuple(readings),
        disputed=disputed,
        shortfall=shortfall,
        new_claim=refusal.new_claim and route is TriageRoute.CORRECTED_CLAIM,
        bill_patient=bill_patient,
        authorization=auth if route is TriageRoute.AUTHORIZATION else None,
    )
    explanation, next_step, action = describe(
        reading, refusal.meanings, paid=paid, role=context.role, submitted_on=context.submitted_on
    )
    return replace(reading, explanation=explanation, next_step=next_step, action=action)
