"""The argument blocks of an appeal, drafted from the case: medical necessity, not experimental,
authorization, timely filing, network gap, and the general request for reconsideration.

Every sentence here is addressed to the payer. What the person should do about a gap in the record
is advice (``kettrack.core.appeal.case_warnings``), never a sentence of the letter; where the
letter needs something only the person knows, the draft says ``[fill in: ...]`` and issuing is
refused until it is replaced (``kettrack.core.letter_text.placeholder_problem``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from kettrack.core.appeal import AppealCase, ScorePoint, TreatmentPlan
from kettrack.core.enums import Drug, Network
from kettrack.core.letter_evidence import ESKETAMINE_APPROVAL, KETAMINE_STANDING, numbered
from kettrack.core.letter_kinds import Argument
from kettrack.core.records import TreatmentRecord
from kettrack.core.superbill import Diagnosis

FILL_IN = "[fill in: "
_MEASURES = (
    ("phq9", "PHQ-9 depression score"),
    ("gad7", "GAD-7 anxiety score"),
    ("pain", "pain score (0-10)"),
)


def dates_text(days: tuple[date, ...]) -> str:
    ordered = sorted(days)
    if not ordered:
        return "the dates of service listed above"
    if len(ordered) == 1:
        return ordered[0].isoformat()
    if len(ordered) <= 4:
        return ", ".join(d.isoformat() for d in ordered[:-1]) + f" and {ordered[-1].isoformat()}"
    return f"{ordered[0].isoformat()} to {ordered[-1].isoformat()} ({len(ordered)} sessions)"


def _when(treatment: TreatmentRecord) -> str:
    start, end = treatment.started_on, treatment.ended_on
    if start and end:
        return f"{start:%b %Y} to {end:%b %Y}"
    if start:
        return f"from {start:%b %Y}"
    return ""


def tried_line(treatment: TreatmentRecord) -> str:
    """One earlier treatment: name, details, when, and why it failed. The treatment's own notes are
    the person's and stay out of the letter."""
    details = ", ".join(p for p in (treatment.details.strip(), _when(treatment)) if p)
    return f"{treatment.name}{f' ({details})' if details else ''}: {treatment.outcome.label.lower()}"


def score_change(scores: tuple[ScorePoint, ...], attribute: str) -> tuple[int, int] | None:
    """The first and the latest recorded value of a score, if it was recorded at least twice."""
    values = [
        getattr(p, attribute)
        for p in sorted(scores, key=lambda p: p.day)
        if getattr(p, attribute) is not None
    ]
    return (values[0], values[-1]) if len(values) >= 2 else None


def diagnosis_text(diagnoses: tuple[Diagnosis, ...]) -> str:
    listed = "; ".join(f"{d.code} {d.description}".strip() for d in diagnoses)
    return f"Diagnosis: {listed}." if listed else ""


def history_text(treatments: tuple[TreatmentRecord, ...]) -> str:
    if not treatments:
        return ""
    count = len(treatments)
    tried = "".join(f"\n• {tried_line(t)}." for t in treatments)
    return (
        f"Before this treatment, {count} other treatment{'s were' if count > 1 else ' was'} tried "
        f"without lasting success:{tried}"
    )


def plan_text(plan: TreatmentPlan | None, provider_name: str, provider_npi: str) -> str:
    if plan is None:
        return ""
    p = plan
    return (
        f"Treatment plan: {p.drug}, {p.dose}, {p.route}, {p.frequency}, for {p.duration}, under the care "
        f"of {provider_name or 'the treating provider'}"
        + (f" (NPI {provider_npi})." if provider_npi else ".")
    )


def outcomes_text(scores: tuple[ScorePoint, ...]) -> str:
    """The scores before and after the sessions: the lasting change from the first session to the
    latest, and the first and latest sessions' before/after pairs (the table lists every session)."""
    changes = []
    for attribute, label in _MEASURES:
        change = score_change(scores, attribute)
        if change:
            changes.append(f"the {label} went from {change[0]} to {change[1]}")
    if not changes:
        return ""
    text = "The outcome scores measured at the sessions show the effect of the treatment: " + "; ".join(
        changes
    )
    pairs = []
    ordered = sorted(scores, key=lambda p: p.day)
    for point in (ordered[0], ordered[-1]) if len(ordered) > 1 else (ordered[0],):
        for attribute, label in _MEASURES:
            before, after = getattr(point, attribute), getattr(point, f"{attribute}_after")
            if before is not None and after is not None:
                pairs.append(
                    f"{label.split(' ')[0]} {before} before and {after} after on {point.day.isoformat()}"
                )
                break
    if pairs:
        text += ". Measured before and after each session: " + "; ".join(pairs)
    return text + " (table and chart below)."


def medical_necessity(case: AppealCase) -> str:
    parts = [
        diagnosis_text(case.diagnoses),
        history_text(case.treatments),
        plan_text(case.plan, case.provider_name, case.provider_npi),
        outcomes_text(case.scores),
    ]
    body = "\n\n".join(p for p in parts if p)
    lead = (
        "The treatment was medically necessary: the diagnosis, the treatments that failed before it, the "
        "treatment plan and the patient's measured response are set out below."
    )
    return f"{lead}\n\n{body}" if body else lead


def experimental(case: AppealCase) -> str:
    if case.drug is Drug.ESKETAMINE:
        text = ESKETAMINE_APPROVAL
        if case.evidence:
            text += "\n\nReferences:\n" + numbered(case.evidence)
        return text
    references = numbered(case.evidence) if case.evidence else f"{FILL_IN}the published evidence]"
    return f"{KETAMINE_STANDING}\n{references}"


def authorization(case: AppealCase) -> str:
    auth = case.authorization
    if auth is None:
        return (
            "No prior authorization was obtained before these services. We ask the plan to review the "
            "services for authorization retroactively, on the clinical record enclosed, and to process "
            "the claim once they are authorized."
        )
    number = auth.auth_number or "(none given)"
    parts = [f"These services were authorized in advance: authorization number {number}"]
    if auth.decided_on:
        parts.append(f"approved on {auth.decided_on.isoformat()}")
    if auth.codes:
        parts.append(f"for {auth.codes}")
    if auth.units:
        parts.append(f"{auth.units} units")
    if auth.valid_from and auth.valid_to:
        parts.append(f"valid from {auth.valid_from.isoformat()} to {auth.valid_to.isoformat()}")
    elif auth.valid_to:
        parts.append(f"valid until {auth.valid_to.isoformat()}")
    text = ", ".join(parts) + f". The dates of service, {dates_text(case.service_dates)}, "
    inside = all(
        (auth.valid_from is None or auth.valid_from <= day)
        and (auth.valid_to is None or day <= auth.valid_to)
        for day in case.service_dates
    )
    text += "fall within it." if inside else "are covered by it as set out in the enclosed approval."
    return text + " A copy of the approval is enclosed. Please reprocess the claim under this authorization."


def timely_filing(case: AppealCase) -> str:
    if case.submitted_on is None:
        return f"The claim was first submitted on {FILL_IN}the date and how it was sent]."
    how = f" by {case.submit_method}" if case.submit_method else ""
    limit = f", within the plan's filing limit of {case.filing_limit}" if case.filing_limit else ""
    text = f"The claim was first submitted on {case.submitted_on.isoformat()}{how}{limit}."
    if case.submission_proof:
        text += " The proof of that submission is enclosed: " + "; ".join(case.submission_proof) + "."
    return text + " The claim was therefore filed on time; please process it on its merits."


def network_gap(case: AppealCase) -> str:
    where = "out of network" if case.network is Network.OUT_OF_NETWORK else "outside the plan's network"
    return (
        f"The treating provider is {where}. No in-network provider offering this treatment was available "
        "within a reasonable distance and time: "
        f"{FILL_IN}the in-network providers contacted and their answers]. "
        "We ask the plan to grant a network adequacy (gap) exception and to pay the claim at the "
        "in-network level of benefits."
    )


def general(case: AppealCase) -> str:
    return (
        "The services on this claim were provided and billed as recorded on the enclosed superbill. "
        "We ask the plan to reconsider its decision on the enclosed record and to pay the claim."
    )


ARGUMENT_TEXT: dict[Argument, Callable[[AppealCase], str]] = {
    Argument.MEDICAL_NECESSITY: medical_necessity,
    Argument.EXPERIMENTAL: experimental,
    Argument.AUTHORIZATION: authorization,
    Argument.TIMELY_FILING: timely_filing,
    Argument.NETWORK_GAP: network_gap,
    Argument.GENERAL: general,
}
