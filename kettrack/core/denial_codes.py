"""The adjustment reason codes (CARC) and remark codes (RARC) kettrack understands, in its own words:
what each one says (``meaning``: neutral, so a letter may quote it), the triage route it leads to,
and for the codes that say information is missing, what is missing (words for the person).

This is the one table: the starter list of reason codes (``kettrack.core.reason_codes``) is made from
it, and the person's own descriptions of a code take precedence over its ``meaning``. The words are
kettrack's, not the official code-list text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kettrack.core.claims import COST_SHARES, WRITE_OFFS, GroupCode


class TriageRoute(StrEnum):
    """What to do about an EOB or denial."""

    PAID_AS_EXPECTED = "paid_as_expected"  # PR-1/2/3, CO-45 with the plan paying the rest
    CORRECTED_CLAIM = "corrected_claim"  # CO-16, MA130, M119, M51, M76, N-codes: information missing
    AUTHORIZATION = "authorization"  # CO-197, CO-15, CO-198
    MEDICAL_NECESSITY = "medical_necessity"  # CO-50, CO-167, CO-11
    EXPERIMENTAL = "experimental"  # CO-55, CO-56: evidence arguments
    TIMELY_FILING = "timely_filing"  # CO-29
    NETWORK_GAP = "network_gap"  # CO-242, CO-243
    COORDINATION_OF_BENEFITS = "coordination_of_benefits"  # CO-22, N479
    DUPLICATE = "duplicate"  # CO-18
    # No specific argument fits: codes kettrack does not know (Triage.unknown_codes names them), a
    # plain benefit denial (CO-96, CO-204), or a payment short of what the codes explain. The payer's
    # general appeal rule applies.
    UNKNOWN = "unknown"


# When an EOB carries codes for several routes, the first route in this order is the next step (the
# others are kept in Triage.also, for the letter's further arguments):
# - a duplicate is checked before anything else: the plan may already have paid or denied the
#   original, and anything sent meanwhile is a second duplicate;
# - missing information next: a claim the plan could not read properly has not been judged on its
#   merits, and once complete it may simply be paid (MA130 gives no appeal rights at all);
# - then who pays first (coordination of benefits): arguing with the wrong payer is wasted;
# - timely filing: every other argument is moot if the plan can refuse the claim as late;
# - authorization, then the network: administrative refusals a document or an exception can cure;
# - experimental before medical necessity: "not proven" is answered with evidence, and an appeal
#   that wins on evidence still carries the clinical record;
# - the general appeal rule for what kettrack cannot place;
# - paid as expected only when nothing else is said.
PRECEDENCE: tuple[TriageRoute, ...] = (
    TriageRoute.DUPLICATE,
    TriageRoute.CORRECTED_CLAIM,
    TriageRoute.COORDINATION_OF_BENEFITS,
    TriageRoute.TIMELY_FILING,
    TriageRoute.AUTHORIZATION,
    TriageRoute.NETWORK_GAP,
    TriageRoute.EXPERIMENTAL,
    TriageRoute.MEDICAL_NECESSITY,
    TriageRoute.UNKNOWN,
    TriageRoute.PAID_AS_EXPECTED,
)

# Whether a route ends in an appeal (the others are a balance, a claim or a check, never an appeal).
APPEAL_ROUTES = frozenset(
    {
        TriageRoute.AUTHORIZATION,
        TriageRoute.MEDICAL_NECESSITY,
        TriageRoute.EXPERIMENTAL,
        TriageRoute.TIMELY_FILING,
        TriageRoute.NETWORK_GAP,
        TriageRoute.UNKNOWN,
    }
)

GROUP_MEANINGS: dict[GroupCode, str] = {
    GroupCode.CO: "the provider's side: under its contract the patient may not be billed for it",
    GroupCode.PR: "the patient's side: the patient owes it",
    GroupCode.OA: "neither side named: another adjustment",
    GroupCode.PI: "the payer's own reduction: the patient may not be billed for it",
}


@dataclass(frozen=True)
class DenialCode:
    """One code kettrack understands."""

    code: str
    kind: str  # "carc" (reason) or "rarc" (remark)
    meaning: str  # what the payer says, in plain words; no advice (a letter may quote it)
    route: TriageRoute | None = None  # None: informational, the other codes decide
    missing: str = ""  # for information codes: what the claim lacks, in words for the person
    new_claim: bool = False  # unprocessable (MA130): a new claim, no appeal rights
    generic: bool = False  # CO-16, CO-252: the remark codes with it say what it is about


def _carc(code: str, meaning: str, route: TriageRoute | None, missing: str = "", **flags: bool) -> DenialCode:
    return DenialCode(code, "carc", meaning, route, missing, **flags)


def _rarc(code: str, meaning: str, route: TriageRoute | None, missing: str = "", **flags: bool) -> DenialCode:
    return DenialCode(code, "rarc", meaning, route, missing, **flags)


R = TriageRoute
_TABLE: tuple[DenialCode, ...] = (
    # --- reason codes (CARC) -----------------------------------------------------------------------
    _carc("1", "Deductible: the part the patient pays before the plan starts paying", R.PAID_AS_EXPECTED),
    _carc("2", "Coinsurance: the patient's percentage of the allowed amount", R.PAID_AS_EXPECTED),
    _carc("3", "Copay: the patient's fixed amount for the service", R.PAID_AS_EXPECTED),
    _carc(
        "4",
        "The procedure code does not fit the modifier billed, or a required modifier is missing",
        R.CORRECTED_CLAIM,
        "the modifier the plan requires (KX, JW or JZ, 25 or 59, for example)",
    ),
    _carc(
        "5",
        "The procedure code does not fit the place of service billed",
        R.CORRECTED_CLAIM,
        "a place of service that fits the service (an in-person infusion is never telehealth, 02/10)",
    ),
    _carc("11", "The diagnosis does not match the procedure billed", R.MEDICAL_NECESSITY),
    _carc("15", "The authorization number is missing or not valid", R.AUTHORIZATION),
    _carc(
        "16",
        "The claim lacks information, or has a billing error, that the plan needs to decide it",
        R.CORRECTED_CLAIM,
        "the information the notice's remark codes name",
        generic=True,
    ),
    _carc("18", "A duplicate of a claim or service the plan already has", R.DUPLICATE),
    _carc("22", "Another plan may have to pay first (coordination of benefits)", R.COORDINATION_OF_BENEFITS),
    _carc("23", "Reduced by what another plan already paid or allowed", R.COORDINATION_OF_BENEFITS),
    _carc("26", "The service was before the coverage began", R.COORDINATION_OF_BENEFITS),
    _carc("27", "The service was after the coverage ended", R.COORDINATION_OF_BENEFITS),
    _carc("29", "The plan says the claim reached it after its filing limit", R.TIMELY_FILING),
    _carc(
        "31",
        "The plan cannot identify the patient as its member",
        R.CORRECTED_CLAIM,
        "the patient's name, date of birth and member ID exactly as on the insurance card",
    ),
    _carc("45", "The charge is above the plan's allowed amount or fee arrangement", R.PAID_AS_EXPECTED),
    _carc("50", "Not medically necessary in the plan's view", R.MEDICAL_NECESSITY),
    _carc("55", "The plan considers the treatment or drug experimental or investigational", R.EXPERIMENTAL),
    _carc("56", "The plan does not consider the treatment proven effective", R.EXPERIMENTAL),
    _carc(
        "58",
        "The plan says the place of service does not fit the service",
        R.CORRECTED_CLAIM,
        "the place of service where the session really took place",
    ),
    _carc("96", "A charge the plan does not cover", R.UNKNOWN),
    _carc(
        "97",
        "Paid as part of another service on the claim (bundled)",
        R.CORRECTED_CLAIM,
        "a modifier showing the service was separate (25 or 59), only if it truly was",
    ),
    _carc("109", "This plan is not the one that pays for this service", R.COORDINATION_OF_BENEFITS),
    _carc("119", "The benefit maximum for the period has been reached", R.UNKNOWN),
    _carc(
        "146",
        "The diagnosis is not valid for the date of service",
        R.CORRECTED_CLAIM,
        "a diagnosis code valid on the date of service (the ICD-10-CM year in force then)",
    ),
    _carc(
        "151",
        "The plan says the information sent does not support this many services or this frequency",
        R.MEDICAL_NECESSITY,
    ),
    _carc("167", "The plan does not cover this diagnosis", R.MEDICAL_NECESSITY),
    _carc("170", "Not paid when this type of provider bills it", R.UNKNOWN),
    _carc(
        "181",
        "The procedure code was not valid on the date of service",
        R.CORRECTED_CLAIM,
        "a procedure code valid on the date of service (J0013 replaced S0013 on 2026-01-01)",
    ),
    _carc(
        "182",
        "The modifier was not valid on the date of service",
        R.CORRECTED_CLAIM,
        "a modifier valid on the date of service",
    ),
    _carc("197", "Prior authorization was missing", R.AUTHORIZATION),
    _carc("198", "More visits or units than the authorization allows", R.AUTHORIZATION),
    _carc("204", "The service is not covered under the patient's current benefit plan", R.UNKNOWN),
    _carc("242", "The service was given by a provider outside the plan's network", R.NETWORK_GAP),
    _carc(
        "243", "The service was not authorized by the plan's network or primary care provider", R.NETWORK_GAP
    ),
    _carc(
        "252",
        "The plan needs an attachment or other documentation to decide",
        R.CORRECTED_CLAIM,
        "the documents the plan asked for (the remark codes name them)",
        generic=True,
    ),
    _carc("B7", "The provider was not certified or eligible for this service on this date", R.UNKNOWN),
    # --- remark codes (RARC) ------------------------------------------------------------------------
    _rarc(
        "MA130",
        "The claim could not be processed as sent (unprocessable)",
        R.CORRECTED_CLAIM,
        new_claim=True,
    ),
    _rarc(
        "MA04",
        "As second payer, the plan needs the first payer's identity or payment details",
        R.COORDINATION_OF_BENEFITS,
    ),
    _rarc("M15", "Services billed separately were paid as one (bundled)", None),
    _rarc(
        "M20", "The HCPCS code is missing, incomplete or not valid", R.CORRECTED_CLAIM, "a valid HCPCS code"
    ),
    _rarc(
        "M51",
        "The procedure code is missing, incomplete or not valid",
        R.CORRECTED_CLAIM,
        "a valid procedure code for each line",
    ),
    _rarc("M62", "The treatment authorization code is missing, incomplete or not valid", R.AUTHORIZATION),
    _rarc(
        "M76",
        "The diagnosis is missing, incomplete or not valid",
        R.CORRECTED_CLAIM,
        "a complete, billable diagnosis code pointed to by each line",
    ),
    _rarc(
        "M77",
        "The place of service is missing, incomplete or not valid",
        R.CORRECTED_CLAIM,
        "the place of service of each line",
    ),
    _rarc(
        "M119",
        "The drug's NDC is missing, incomplete, not valid or no longer active",
        R.CORRECTED_CLAIM,
        "the drug's 11-digit NDC with its unit qualifier and quantity",
    ),
    _rarc("N4", "The earlier payer's EOB is missing or not valid", R.COORDINATION_OF_BENEFITS),
    _rarc(
        "N29",
        "Documentation (records, notes, orders) is missing",
        R.CORRECTED_CLAIM,
        "the records the plan asked for (session notes, orders)",
    ),
    _rarc("N30", "The patient is not eligible for this service", R.UNKNOWN),
    _rarc(
        "N54",
        "The claim does not match the authorized services (codes, dates or units)",
        R.AUTHORIZATION,
    ),
    _rarc("N115", "Decided under a local coverage determination (LCD)", None),
    _rarc("N130", "The plan refers to its benefit documents for the limits that applied", None),
    _rarc(
        "N286",
        "The referring provider's identifier is missing or not valid",
        R.CORRECTED_CLAIM,
        "the referring provider's name and NPI",
    ),
    _rarc(
        "N290",
        "The rendering provider's identifier is missing or not valid",
        R.CORRECTED_CLAIM,
        "the rendering provider's individual NPI",
    ),
    _rarc(
        "N350",
        "The description of an unclassified (not otherwise classified) code is missing or not valid",
        R.CORRECTED_CLAIM,
        "the drug's name, strength and dose for the unclassified code (J3490)",
    ),
    _rarc(
        "N382",
        "The patient's identifiers are missing or not valid",
        R.CORRECTED_CLAIM,
        "the patient's member ID, name and date of birth exactly as on the insurance card",
    ),
    _rarc("N386", "Decided under a national coverage determination (NCD)", None),
    _rarc(
        "N479",
        "The other payer's EOB is missing (coordination of benefits)",
        R.COORDINATION_OF_BENEFITS,
    ),
    _rarc(
        "N657",
        "Billed with a code or setting that does not fit the service",
        R.CORRECTED_CLAIM,
        "the code and place of service that fit the service",
    ),
)
del R

CODES: dict[tuple[str, str], DenialCode] = {(c.code, c.kind): c for c in _TABLE}
assert len(CODES) == len(_TABLE), "a code is in the table twice"
assert all((code, "carc") in CODES for code in (*COST_SHARES, *WRITE_OFFS))


def denial_code(code: str, kind: str) -> DenialCode | None:
    """The table's entry for ``code`` (a CARC when ``kind`` is "carc", else a RARC), or None."""
    return CODES.get((code.strip().upper(), kind))


def table() -> tuple[DenialCode, ...]:
    """Every code kettrack understands, reason codes first, in the table's order."""
    return _TABLE
