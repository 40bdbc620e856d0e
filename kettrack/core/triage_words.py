"""The words of a denial triage for the person: what the payer said, what to do next, and the next step
in a few words for the claims table and the dashboard (with the appeal level's own action when the
step is an appeal). All of it is advice to the person: none of it goes into a letter to a payer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from kettrack.core.claims import PriorAuthInfo
from kettrack.core.denial_codes import TriageRoute
from kettrack.core.enums import UserRole
from kettrack.core.money import format_usd

if TYPE_CHECKING:
    from kettrack.core.denial_triage import Triage

__all__ = ["authorization_words", "describe", "step_action"]

R = TriageRoute
ACTION_MAX = 200  # the claims table keeps the next step in a column of this size


def authorization_words(auth: PriorAuthInfo) -> str:
    """``PA-1 (2026-05-01 to 2026-12-10, 24 units, G2083 G2082)``: what the letter and the call cite."""
    parts = []
    if auth.valid_from or auth.valid_to:
        start = auth.valid_from.isoformat() if auth.valid_from else "…"
        end = auth.valid_to.isoformat() if auth.valid_to else "…"
        parts.append(f"{start} to {end}")
    if auth.units is not None:
        parts.append(f"{auth.units} units")
    if auth.codes.strip():
        parts.append(auth.codes.strip())
    number = auth.auth_number.strip() or "on file (no number recorded)"
    return f"{number} ({', '.join(parts)})" if parts else number


def _join(items: list[str] | tuple[str, ...]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _share_words(share: Decimal, role: UserRole | None, bill_patient: bool) -> str:
    if share <= 0:
        return "Nothing to chase: the plan settled the claim as its rules say."
    if bill_patient:
        return (
            f"Bill the patient their share of {format_usd(share)} (their responsibility on the EOB); "
            "nothing to appeal."
        )
    if role is UserRole.PATIENT:
        return (
            f"Nothing to chase: {format_usd(share)} is your own share under the plan (deductible, "
            "coinsurance, copay); pay the provider if you have not already."
        )
    return f"Nothing to chase: {format_usd(share)} is the patient's own share under the plan."


def describe(
    reading: Triage,
    meanings: list[str],
    *,
    paid: Decimal | None,
    role: UserRole | None,
    submitted_on: date | None,
) -> tuple[str, str, str]:
    """(explanation, next step, action) for ``reading``."""
    route = reading.route
    said = "; ".join(meanings[:1] + [_lower_first(m) for m in meanings[1:]])
    unknown = ""
    if reading.unknown_codes:
        unknown = (
            f" kettrack does not know the code{'s' if len(reading.unknown_codes) > 1 else ''} "
            f"{_join(reading.unknown_codes)}: read what the notice says about "
            f"{'them' if len(reading.unknown_codes) > 1 else 'it'}, or ask the plan."
        )
    held = f"{format_usd(reading.disputed)} " if reading.disputed > 0 else ""
    if route is R.PAID_AS_EXPECTED:
        parts = ["The plan paid as expected"]
        if paid is not None:
            parts[0] += f": {format_usd(paid)}"
        if reading.patient_share > 0:
            parts.append(f"the patient's share is {format_usd(reading.patient_share)}")
        explanation = "; ".join(parts) + "." + unknown
        step = _share_words(reading.patient_share, role, reading.bill_patient)
        action = (
            f"Bill the patient their share: {format_usd(reading.patient_share)}"
            if reading.bill_patient
            else "Nothing to chase"
        )
        return explanation, step, action
    verb = "refused" if not paid else "held back"
    explanation = f"The plan {verb} {held}".rstrip() + (f": {said}." if said else ".") + unknown
    missing = _join(reading.missing) or "the information the notice names"
    if route is R.CORRECTED_CLAIM:
        if reading.new_claim:
            step = (
                f"Send a new claim with {missing}: the plan could not process this one, so there is "
                "nothing to appeal."
            )
            action = f"Send a new claim with {missing}"
        else:
            step = f"Send a corrected claim with {missing}; this is not an appeal."
            action = f"Send a corrected claim with {missing}"
    elif route is R.DUPLICATE:
        step = (
            "Check first whether the plan already has this claim (an earlier submission, payment or "
            "denial for the same dates): answer that one, and resend only if the plan has none."
        )
        action = "Check whether the plan already has this claim (duplicate) before anything else"
    elif route is R.COORDINATION_OF_BENEFITS:
        step = (
            "Find out which plan pays first for these dates (the patient may need to update their other "
            "coverage with the plan), then send the claim to it, with the other plan's EOB where asked."
        )
        action = "Sort out which plan pays first, then send the other plan's EOB"
    elif route is R.TIMELY_FILING:
        when = f" (it was sent on {submitted_on.isoformat()})" if submitted_on else ""
        step = (
            f"Appeal with proof the claim was sent on time{when}: the clearinghouse acceptance report, "
            "the portal confirmation or the mail receipt."
        )
        action = "Appeal with proof of timely filing"
    elif route is R.AUTHORIZATION:
        if reading.authorization is not None:
            cited = authorization_words(reading.authorization)
            step = (
                f"Call the plan with prior authorization {cited}, which covers these dates, and ask it "
                "to reprocess the claim; if it does not, appeal citing the authorization."
            )
            action = f"Appeal citing prior authorization {reading.authorization.auth_number.strip()}".rstrip()
        else:
            step = (
                "No approved authorization is on file for these dates: ask the plan for a retro-"
                "authorization, then appeal with its answer."
            )
            action = "Ask for a retro-authorization, then appeal"
    elif route is R.NETWORK_GAP:
        step = (
            "Ask for a network-gap (adequacy) exception: no in-network provider offered this treatment "
            "within reasonable distance and time; then appeal with it."
        )
        action = "Ask for a network-gap exception, then appeal"
    elif route is R.EXPERIMENTAL:
        step = (
            "Appeal with the evidence for the treatment (not the medical-necessity argument): the FDA "
            "label for esketamine; for IV ketamine, the published studies in your evidence library."
        )
        action = "Appeal with the evidence for the treatment"
    elif route is R.MEDICAL_NECESSITY:
        step = (
            "Appeal on medical necessity: the diagnoses, the treatments tried and why they failed, the "
            "treatment plan, and the outcome scores before and after each session."
        )
        action = "Appeal on medical necessity"
    else:
        if reading.unknown_codes:
            step = "Then appeal under the plan's general appeal rule."
        elif reading.shortfall > 0 and not meanings:
            explanation = (
                f"The plan paid {format_usd(reading.shortfall)} less than its own amounts explain, and "
                "gives no code for it." + unknown
            )
            step = "Ask the plan why it paid less, then appeal under its general appeal rule."
        elif not reading.codes:
            explanation = "The plan refused the claim without giving a reason code."
            step = (
                "Ask the plan for the specific reason (it must give one), then appeal under its general rule."
            )
        else:
            step = "Appeal under the plan's general appeal rule."
        action = "Appeal under the plan's general rule"
    return explanation, step, action[:ACTION_MAX]


def step_action(reading: Triage, level_action: str | None) -> str:
    """The next step's words for the claims table: the appeal level's own action for an appeal route
    (``File an internal appeal with the plan``) with what it argues, else the triage's action."""
    route = reading.route
    if level_action is None or route not in (
        R.AUTHORIZATION,
        R.MEDICAL_NECESSITY,
        R.EXPERIMENTAL,
        R.TIMELY_FILING,
        R.NETWORK_GAP,
        R.UNKNOWN,
    ):
        return reading.action[:ACTION_MAX]
    if route is R.AUTHORIZATION:
        if reading.authorization is not None:
            number = reading.authorization.auth_number.strip()
            text = (
                f"{level_action}, citing prior authorization {number}"
                if number
                else f"{level_action}, citing the authorization on file"
            )
        else:
            text = f"Ask for a retro-authorization, then {_lower_first(level_action)}"
    elif route is R.EXPERIMENTAL:
        text = f"{level_action}, with the evidence for the treatment"
    elif route is R.TIMELY_FILING:
        text = f"{level_action}, with proof the claim was filed on time"
    elif route is R.NETWORK_GAP:
        text = f"Ask for a network-gap exception, then {_lower_first(level_action)}"
    else:
        text = level_action  # medical necessity and the general rule: the level's own words
    return text[:ACTION_MAX]
