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

from kettrack.core.deadlines import Deadline
from kettrack.core.enums import Route, TreatmentOutcome
from kettrack.core.money import format_usd
from kettrack.core.records import InfusionRecord, TreatmentRecord
from kettrack.core.superbill import Diagnosis

# Sessions closer together than this belong to the induction series; wider gaps are maintenance.
INDUCTION_GAP_DAYS = 7


@dataclass(frozen=True)
class ScorePoint:
    """Outcome scores measured on one day (any may be missing)."""

    day: date
    phq9: int | None = None
    gad7: int | None = None
    pain: int | None = None


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

    ``claim_number`` is the number the payer knows the claim by (its own, once recorded);
    ``reference`` is kettrack's claim number when the two differ, so replies can be matched.
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
    reference: str = ""


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
    paragraphs: tuple[str, ...]
    deadline: Deadline | None
    warnings: tuple[str, ...] = ()


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
        )
        if s.service_date in points or (point.phq9, point.gad7, point.pain) == (None, None, None):
            continue
        points[s.service_date] = point
    return tuple(points.values())


def failed_treatments(treatments: Sequence[TreatmentRecord]) -> tuple[TreatmentRecord, ...]:
    """The earlier treatments a letter cites as tried and failed (ongoing ones are not failures)."""
    return tuple(t for t in treatments if t.outcome is not TreatmentOutcome.ONGOING)


def case_warnings(case: AppealCase, today: date) -> tuple[str, ...]:
    """What the record lacks for a strong letter, in words a person can act on."""
    found: list[str] = []
    if not case.appeals_address:
        found.append("The payer has no appeals address: add it to the payer before sending the letter")
    if not case.diagnoses:
        found.append("The claimed sessions have no diagnosis codes")
    if not case.treatments:
        found.append("No earlier treatments are recorded: add those tried before (they show necessity)")
    if len(case.scores) < 2:
        found.append("Fewer than two sessions have outcome scores: the letter cannot show improvement")
    if case.deadline is not None and case.deadline.due < today:
        found.append(
            f"The deadline to appeal was {case.deadline.due.isoformat()}: explain in the letter why it "
            "is late (good cause), or ask the plan whether it still accepts the appeal"
        )
    return tuple(found)


# --- the draft text --------------------------------------------------------------------------------


def _dates(days: tuple[date, ...]) -> str:
    ordered = sorted(days)
    if not ordered:
        return "the dates listed above"
    if len(ordered) == 1:
        return ordered[0].isoformat()
    return f"{ordered[0].isoformat()} to {ordered[-1].isoformat()} ({len(ordered)} sessions)"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _in_sentence(name: str) -> str:
    """A level's name inside a sentence: "Internal appeal" -> "internal appeal", "QIC ..." kept."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return name
    return name[:1].lower() + name[1:]


def _when(treatment: TreatmentRecord) -> str:
    start, end = treatment.started_on, treatment.ended_on
    if start and end:
        return f"{start:%b %Y} to {end:%b %Y}"
    if start:
        return f"from {start:%b %Y}"
    return ""


def _tried(treatment: TreatmentRecord) -> str:
    details = ", ".join(p for p in (treatment.details.strip(), _when(treatment)) if p)
    text = f"{treatment.name}{f' ({details})' if details else ''}: {treatment.outcome.label.lower()}"
    notes = " ".join(treatment.notes.split()).rstrip(".")
    if notes:
        text += f". {notes}"
    return text


def score_change(scores: tuple[ScorePoint, ...], attribute: str) -> tuple[int, int] | None:
    """The first and the latest recorded value of a score, if it was recorded at least twice."""
    values = [
        getattr(p, attribute)
        for p in sorted(scores, key=lambda p: p.day)
        if getattr(p, attribute) is not None
    ]
    return (values[0], values[-1]) if len(values) >= 2 else None


def draft_paragraphs(case: AppealCase, issued_on: date | None = None) -> tuple[str, ...]:
    """A first draft of the letter body; plain sentences the person can edit. ``issued_on`` (the day
    the letter goes out) decides whether the letter says it is on time or asks for a late hearing."""
    level = _in_sentence(case.level_name)
    # A clinic writes for its patient ("we"); a patient writes for themself ("I").
    clinic = case.sender_name.strip() != case.patient_name.strip()
    we, us = ("We", "us") if clinic else ("I", "me")
    paragraphs = [
        f"{'We are' if clinic else 'I am'} writing to request {_article(level)} {level} of the decision "
        f"dated {case.denial_date.isoformat()} on claim {case.claim_number} for "
        f"{'our patient ' if clinic else ''}{case.patient_name}, "
        f"member ID {case.member_id}, covering services on {_dates(case.service_dates)}. The amount billed "
        f"was {format_usd(case.amount_billed)}, of which {format_usd(case.amount_denied)} was not paid.",
    ]
    reason = case.denial_reason.strip() or "no specific reason"
    codes = f" (adjustment codes {case.denial_codes})" if case.denial_codes else ""
    paragraphs.append(
        f"The plan denied the claim for this reason: {reason}{codes}. {we} ask that this decision be "
        "reversed because the treatment was medically necessary, as the record below shows."
    )
    if case.diagnoses:
        listed = "; ".join(f"{d.code} {d.description}".strip() for d in case.diagnoses)
        paragraphs.append(f"Diagnosis: {listed}.")
    if case.treatments:
        count = len(case.treatments)
        # One line per treatment (the letter keeps line breaks inside a paragraph).
        tried = "".join(f"\n• {_tried(t)}." for t in case.treatments)
        paragraphs.append(
            f"Before this treatment, {count} other treatment{'s were' if count > 1 else ' was'} tried "
            f"without lasting success:{tried}"
        )
    if case.plan:
        p = case.plan
        paragraphs.append(
            f"Treatment plan: {p.drug}, {p.dose}, {p.route}, {p.frequency}, for {p.duration}, "
            f"under the care of {case.provider_name or 'the treating provider'}"
            + (f" (NPI {case.provider_npi})." if case.provider_npi else ".")
        )
    changes = []
    for attribute, label in (
        ("phq9", "PHQ-9 depression score"),
        ("gad7", "GAD-7 anxiety score"),
        ("pain", "pain score (0-10)"),
    ):
        change = score_change(case.scores, attribute)
        if change:
            changes.append(f"the {label} went from {change[0]} to {change[1]}")
    if changes:
        paragraphs.append(
            "The outcome scores measured at the sessions show the effect of the treatment: "
            + "; ".join(changes)
            + " (see the chart below)."
        )
    if case.deadline:
        rule = f"{case.deadline.rule}, {case.deadline.source}"
        if issued_on is not None and issued_on > case.deadline.due:
            paragraphs.append(
                f"{we} know this request comes after the usual deadline of {case.deadline.due.isoformat()} "
                f"({rule}). {we} ask that it be accepted for good cause: [explain why it is late]."
            )
        else:
            paragraphs.append(
                f"This request is made within the time allowed ({rule}; due by "
                f"{case.deadline.due.isoformat()})."
            )
    paragraphs.append(
        "Please review the enclosed documents, reverse the denial and process the claim for payment. "
        f"If you need anything else, contact {us} at the address above."
    )
    return tuple(paragraphs)
