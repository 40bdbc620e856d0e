"""An appeal letter's content as plain data, and the first draft of its text built from the record.

The medical-necessity case a reviewer looks for: the diagnosis, the treatments tried before and why
they failed, the treatment plan (drug, dose, frequency, duration), and outcome scores before and
after. The person edits the drafted paragraphs before the letter is issued.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from kettrack.core.bill_problems import BillProblem
from kettrack.core.claims import PriorAuthInfo
from kettrack.core.deadlines import Deadline
from kettrack.core.enums import Drug, Network, PayerKind, Route, TreatmentOutcome
from kettrack.core.letter_evidence import EvidenceReference
from kettrack.core.letter_kinds import Argument, LetterKind
from kettrack.core.records import InfusionRecord, TreatmentRecord
from kettrack.core.superbill import Diagnosis

if TYPE_CHECKING:
    from kettrack.core.letter_text import LetterBlock

# Sessions closer together than this belong to the induction series; wider gaps are maintenance.
INDUCTION_GAP_DAYS = 7


@dataclass(frozen=True)
class ScorePoint:
    """Outcome scores measured on one day (any may be missing)."""

    day: date
    phq9: int | None = None  # before the session (after it, where no before-score was taken)
    gad7: int | None = None
    pain: int | None = None
    phq9_after: int | None = None  # after the session, when a before-score was taken too
    gad7_after: int | None = None
    pain_after: int | None = None


@dataclass(frozen=True)
class TreatmentPlan:
    drug: str
    dose: str
    route: str
    frequency: str
    duration: str


@dataclass(frozen=True)
class AppealCase:
    """Everything the letter states, gathered from the claim, the patient's record and the denial.

    ``claim_number`` is the number the payer gave the claim ("" while none is recorded): a letter
    never cites kettrack's own number, which the payer has never seen.
    """

    sender_name: str
    sender_address: tuple[str, ...]
    payer_name: str
    appeals_address: tuple[str, ...]
    level_name: str
    claim_number: str
    member_id: str
    patient_name: str
    patient_dob: date | None
    service_dates: tuple[date, ...]
    amount_billed: Decimal
    amount_denied: Decimal
    denial_date: date
    denial_reason: str
    diagnoses: tuple[Diagnosis, ...]
    treatments: tuple[TreatmentRecord, ...]
    plan: TreatmentPlan | None
    scores: tuple[ScorePoint, ...]
    enclosures: tuple[str, ...]
    provider_name: str = ""
    provider_npi: str = ""
    group_number: str = ""
    sender_phone: str = ""
    denial_codes: str = ""
    deadline: Deadline | None = None
    reference: str = ""  # kettrack's own claim number: for the person, never printed in a letter
    # What the arguments need (see kettrack.core.letter_arguments).
    payer_kind: PayerKind | None = None
    amount_in_dispute: Decimal | None = None  # None: amount_denied
    arguments: tuple[Argument, ...] = (Argument.MEDICAL_NECESSITY,)
    authorization: PriorAuthInfo | None = None
    submitted_on: date | None = None
    submit_method: str = ""
    submission_proof: tuple[str, ...] = ()
    filing_limit: str = ""  # "12 months after the date of service"
    drug: Drug | None = None
    evidence: tuple[EvidenceReference, ...] = ()
    filer_is_clinic: bool = False
    network: Network | None = None

    @property
    def disputed(self) -> Decimal:
        return self.amount_denied if self.amount_in_dispute is None else self.amount_in_dispute


@dataclass(frozen=True)
class AppealLetter:
    """A letter ready to render: the case, its (edited) paragraphs, and its number and date."""

    case: AppealCase
    paragraphs: tuple[str, ...]
    letter_number: str
    issued_on: date


@dataclass(frozen=True)
class AppealDraft:
    """The next appeal of a claim as first drafted: its level, what the letter states, the text to
    edit, the deadline, and what the record lacks that would make the case stronger."""

    claim_id: int
    level: str  # the payer rules' level key ("internal", "redetermination"...)
    level_name: str
    case: AppealCase
    paragraphs: tuple[str, ...]  # the blocks' texts
    deadline: Deadline | None
    warnings: tuple[str, ...] = ()  # advice for the person: never printed in the letter
    blocks: tuple[LetterBlock, ...] = ()  # the letter's parts with their titles
    kind: LetterKind = LetterKind.APPEAL  # an appeal, or an external review request
    # What the advice names that a record holds: the record, its field and the command that fills it
    # (kettrack.core.letter_fixes); never printed.
    gaps: tuple[BillProblem, ...] = ()


# --- from the record to the case -------------------------------------------------------------------


def plain_reason(description: str) -> str:
    """A reason code's description as a clause of a sentence: the advice after ';' dropped (it is
    written for the person, not the payer) and the first letter lowered unless it starts an acronym."""
    clause = description.split(";")[0].strip().rstrip(".")
    if len(clause) > 1 and not clause[:2].isupper():
        clause = clause[0].lower() + clause[1:]
    return clause


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def _span(values: Sequence[Decimal], unit: str) -> str:
    low, high = min(values), max(values)
    if low == high:
        return f"{_number(low)} {unit}"
    return f"{_number(low)}-{_number(high)} {unit}"


def _weeks(days: int) -> str:
    weeks = round(days / 7)
    return "1 week" if weeks <= 1 else f"{weeks} weeks"


def _every(gaps: Sequence[int]) -> str:
    """ "every 3-5 weeks" or "every 10 days" for the gaps between maintenance sessions."""
    low, high = min(gaps), max(gaps)
    if high < 14:
        return f"every {low} days" if low == high else f"every {low}-{high} days"
    low_w, high_w = round(low / 7), round(high / 7)
    return f"every {low_w} weeks" if low_w == high_w else f"every {low_w}-{high_w} weeks"


def session_frequency(days: Sequence[date]) -> str:
    """How often the sessions came, from their dates: an induction series (sessions at most a week
    apart) and the maintenance interval after it."""
    ordered = sorted(set(days))
    if len(ordered) < 2:
        return "a single session so far"
    gaps = [(b - a).days for a, b in zip(ordered, ordered[1:], strict=False)]
    leading = 0
    while leading < len(gaps) and gaps[leading] <= INDUCTION_GAP_DAYS:
        leading += 1
    if leading == len(gaps):
        span = (ordered[-1] - ordered[0]).days
        per_week = len(ordered) / max(span / 7, 1)
        return f"{len(ordered)} sessions over {_weeks(span)} (about {per_week:.1f} a week)".replace(
            ".0 a week", " a week"
        )
    if leading >= 2:
        span = (ordered[leading] - ordered[0]).days
        induction = f"{leading + 1} sessions in {span + 1} days, then "
        return induction + f"maintenance sessions {_every(gaps[leading:])}"
    return f"sessions {_every(gaps)}"


def treatment_plan(sessions: Sequence[InfusionRecord]) -> TreatmentPlan | None:
    """The treatment as given so far: drug, dose (per kg where the weight is known), route, how often
    (from the session dates) and for how long. ``sessions`` are one drug's sessions of one patient."""
    if not sessions:
        return None
    ordered = sorted(sessions, key=lambda s: s.service_date)
    per_kg = [s.dose_mg_per_kg for s in ordered if s.dose_mg_per_kg is not None]
    mg = [s.dose_mg for s in ordered if s.dose_mg is not None]
    if per_kg:
        rounded = [v.quantize(Decimal("0.01")) for v in per_kg]
        dose = _span(rounded, "mg/kg")
        if mg:
            dose += f" (about {_number(Decimal(round(statistics.median(mg))))} mg)"
    elif mg:
        dose = _span(mg, "mg")
    else:
        dose = "dose as recorded in the session notes"
    route_kind = ordered[-1].route
    route = route_kind.label
    minutes = [s.duration_minutes for s in ordered if s.duration_minutes]
    if route_kind is Route.IV and minutes:
        route = f"IV infusion over about {round(statistics.median(minutes))} minutes"
    elif route_kind is Route.INTRANASAL:
        route = "intranasal"
    first, last = ordered[0].service_date, ordered[-1].service_date
    days = (last - first).days
    duration = (
        f"{_weeks(days)} so far ({first.isoformat()} to {last.isoformat()}), continuing"
        if days >= 7
        else f"a course started {first.isoformat()}"
    )
    return TreatmentPlan(
        drug=ordered[-1].drug.label,
        dose=dose,
        route=route,
        frequency=session_frequency([s.service_date for s in ordered]),
        duration=duration,
    )


def score_points(sessions: Sequence[InfusionRecord]) -> tuple[ScorePoint, ...]:
    """One point per session day: the scores taken before the session (the lasting state since the
    last one), or after it where the before-score was not recorded. Days with no score are left out."""
    points: dict[date, ScorePoint] = {}
    for s in sorted(sessions, key=lambda s: (s.service_date, s.id or 0)):
        point = ScorePoint(
            s.service_date,
            phq9=s.phq9_before if s.phq9_before is not None else s.phq9_after,
            gad7=s.gad7_before if s.gad7_before is not None else s.gad7_after,
            pain=s.pain_before if s.pain_before is not None else s.pain_after,
            phq9_after=s.phq9_after if s.phq9_before is not None else None,
            gad7_after=s.gad7_after if s.gad7_before is not None else None,
            pain_after=s.pain_after if s.pain_before is not None else None,
        )
        if s.service_date in points or (point.phq9, point.gad7, point.pain) == (None, None, None):
            continue
        points[s.service_date] = point
    return tuple(points.values())


def failed_treatments(treatments: Sequence[TreatmentRecord]) -> tuple[TreatmentRecord, ...]:
    """The earlier treatments a letter cites as tried and failed (ongoing ones are not failures)."""
    return tuple(t for t in treatments if t.outcome is not TreatmentOutcome.ONGOING)


def case_warnings(case: AppealCase, today: date) -> tuple[str, ...]:
    """What the record lacks for a strong letter, in words a person can act on (advice: shown to the
    person beside the draft, never printed in the letter)."""
    found: list[str] = []
    if not case.appeals_address:
        found.append(
            "The payer has no appeals address: add it to the payer (Payers in the window, or "
            "kettrack payers edit ID --appeals-address ...) before sending the letter"
        )
    if not case.claim_number:
        found.append(
            "No payer claim number is recorded: record it from the EOB or denial (kettrack claims "
            "note CLAIM --date DATE --payer-claim-number N), or confirm that the payer gave none"
        )
    if Argument.MEDICAL_NECESSITY in case.arguments:
        if not case.diagnoses:
            found.append("The claimed sessions have no diagnosis codes")
        if not case.treatments:
            found.append("No earlier treatments are recorded: add those tried before (they show necessity)")
        if len(case.scores) < 2:
            found.append("Fewer than two sessions have outcome scores: the letter cannot show improvement")
    if Argument.AUTHORIZATION in case.arguments and case.authorization is None:
        found.append(
            "No prior authorization is linked to this claim: the letter asks for a retro-authorization. "
            "If there is one, add it (kettrack auths add ... --claim CLAIM) and draft again"
        )
    if Argument.TIMELY_FILING in case.arguments and not case.submission_proof:
        found.append(
            "No proof of submission is attached to the submission event: attach the clearinghouse "
            "acceptance report, portal confirmation or mail receipt"
        )
    if case.deadline is not None and case.deadline.due < today:
        found.append(
            f"The deadline to appeal was {case.deadline.due.isoformat()}: explain in the letter why it "
            "is late (good cause), or ask the plan whether it still accepts the appeal"
        )
    return tuple(found)
