"""The kinds of letter kettrack drafts and the arguments an appeal can make, with the denial-triage
route that chooses them.

An appeal argues what the denial was about: a missing authorization is answered with the
authorization (not with medical necessity), a late-filing denial with the proof of timely submission,
an "experimental" denial with the drug's approval and the evidence. The person may change the choice
in the draft; this is only the first draft's.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from kettrack.core.claims import Adjustment
from kettrack.core.denial_triage import TriageRoute, triage
from kettrack.core.enums import LabeledEnum


class LetterKind(LabeledEnum):
    """What a letter is for (each kind has its own sender, recipient and text)."""

    APPEAL = "appeal"
    EXTERNAL_REVIEW = "external_review"
    MEDICAL_NECESSITY = "medical_necessity"  # the treating provider's letter of medical necessity
    PRIOR_AUTHORIZATION = "prior_authorization"  # a request for prior authorization

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def about_a_claim(self) -> bool:
        """Whether the letter answers a claim's decision (and so needs the payer's claim number)."""
        return self in (LetterKind.APPEAL, LetterKind.EXTERNAL_REVIEW)


_KIND_LABELS = {
    LetterKind.APPEAL: "Appeal letter",
    LetterKind.EXTERNAL_REVIEW: "External review request",
    LetterKind.MEDICAL_NECESSITY: "Letter of medical necessity",
    LetterKind.PRIOR_AUTHORIZATION: "Prior authorization request",
}


class Argument(StrEnum):
    """An argument block of an appeal."""

    MEDICAL_NECESSITY = "medical_necessity"
    EXPERIMENTAL = "experimental"
    AUTHORIZATION = "authorization"
    TIMELY_FILING = "timely_filing"
    NETWORK_GAP = "network_gap"
    GENERAL = "general"  # codes kettrack does not read: ask for reconsideration on the record

    @property
    def heading(self) -> str:
        return ARGUMENT_TITLES[self]


# Headings printed above each argument in the letter (the payer reads them).
ARGUMENT_TITLES = {
    Argument.MEDICAL_NECESSITY: "Medical necessity",
    Argument.EXPERIMENTAL: "The treatment is not experimental or investigational",
    Argument.AUTHORIZATION: "Authorization",
    Argument.TIMELY_FILING: "The claim was filed on time",
    Argument.NETWORK_GAP: "Network adequacy exception",
    Argument.GENERAL: "Request for reconsideration",
}

_ARGUMENTS: dict[TriageRoute, tuple[Argument, ...]] = {
    TriageRoute.MEDICAL_NECESSITY: (Argument.MEDICAL_NECESSITY,),
    # "Not proven" is answered with the evidence first, then this patient's own record.
    TriageRoute.EXPERIMENTAL: (Argument.EXPERIMENTAL, Argument.MEDICAL_NECESSITY),
    TriageRoute.AUTHORIZATION: (Argument.AUTHORIZATION,),
    TriageRoute.TIMELY_FILING: (Argument.TIMELY_FILING,),
    TriageRoute.NETWORK_GAP: (Argument.NETWORK_GAP,),
}

# Routes whose next step is not an appeal (a balance, a corrected claim, a secondary claim, a
# duplicate check): a letter may still be drafted, but the person is told first.
NOT_AN_APPEAL = frozenset(
    {
        TriageRoute.PAID_AS_EXPECTED,
        TriageRoute.CORRECTED_CLAIM,
        TriageRoute.COORDINATION_OF_BENEFITS,
        TriageRoute.DUPLICATE,
    }
)


def arguments_for(route: TriageRoute | None) -> tuple[Argument, ...]:
    """The argument blocks an appeal on ``route`` carries (the general request when none fits)."""
    if route is None:
        return (Argument.GENERAL,)
    return _ARGUMENTS.get(route, (Argument.GENERAL,))


def letter_route(adjustments: Iterable[Adjustment], remarks: Iterable[str] = ()) -> TriageRoute | None:
    """The triage route of a decision's adjustment lines, for choosing an appeal's arguments; None
    when the decision gives no adjustment lines at all (nothing to read: the general appeal rule)."""
    adjustments = tuple(adjustments)
    if not adjustments:
        return None
    return triage(adjustments, remarks).route
