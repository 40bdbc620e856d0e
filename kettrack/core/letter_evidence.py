"""The evidence library an "experimental or investigational" appeal cites: bibliographic references
only (authors, title, journal, year, volume, pages; no quoted text), kept per drug.

kettrack ships a few references every ketamine practice cites; the person adds their own (the
library's rows in the database), which come first. Facts about esketamine's FDA approval are stated
in the letter from ``ESKETAMINE_APPROVAL`` (sources: FDA news release of 2019-03-05; the SPRAVATO
prescribing information).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kettrack.core.enums import Drug
from kettrack.core.problems import InvalidInput
from kettrack.core.validation import text_problem

MAX_CITATION_CHARS = 600


@dataclass(frozen=True)
class EvidenceReference:
    """One bibliographic reference; ``drug`` None means it supports either drug."""

    citation: str
    drug: Drug | None = None
    id: int | None = None  # the library row's id; None for kettrack's own seed references

    @property
    def seeded(self) -> bool:
        return self.id is None


SEED_REFERENCES: tuple[EvidenceReference, ...] = (
    EvidenceReference(
        "Zarate CA Jr, Singh JB, Carlson PJ, et al. A randomized trial of an N-methyl-D-aspartate "
        "antagonist in treatment-resistant major depression. Arch Gen Psychiatry. 2006;63(8):856-864. "
        "doi:10.1001/archpsyc.63.8.856",
        Drug.KETAMINE,
    ),
    EvidenceReference(
        "Murrough JW, Iosifescu DV, Chang LC, et al. Antidepressant efficacy of ketamine in "
        "treatment-resistant major depression: a two-site randomized controlled trial. Am J Psychiatry. "
        "2013;170(10):1134-1142. doi:10.1176/appi.ajp.2013.13030392",
        Drug.KETAMINE,
    ),
    EvidenceReference(
        "U.S. Food and Drug Administration. FDA approves new nasal spray medication for "
        "treatment-resistant depression; available only at a certified doctor's office or clinic "
        "[news release]. March 5, 2019.",
        Drug.ESKETAMINE,
    ),
    EvidenceReference(
        "SPRAVATO (esketamine) nasal spray, CIII. Prescribing information. Janssen Pharmaceuticals, Inc.",
        Drug.ESKETAMINE,
    ),
)

ESKETAMINE_APPROVAL = (
    "Esketamine nasal spray (Spravato) is approved by the U.S. Food and Drug Administration: on "
    "March 5, 2019 for treatment-resistant depression in adults, and since 2020 also for depressive "
    "symptoms in adults with major depressive disorder with acute suicidal ideation or behavior. It is "
    "given only at certified treatment sites under the Spravato Risk Evaluation and Mitigation Strategy "
    "(REMS), with at least two hours of monitoring after each dose, as it was here. Its use for "
    "this patient follows its label, so it is neither experimental nor investigational."
)

KETAMINE_STANDING = (
    "Ketamine hydrochloride injection is a drug approved by the U.S. Food and Drug Administration. Its "
    "use at sub-anesthetic doses for treatment-resistant depression is supported by randomized "
    "controlled trials and by years of clinical practice; a treatment given off label with this "
    "evidence behind it is not experimental or investigational. The published evidence includes:"
)


def check_citation(citation: str) -> str:
    """A reference as it is kept: one line, trimmed (InvalidInput on the ``citation`` field)."""
    text = " ".join(citation.split())
    if not text:
        raise InvalidInput.single("citation", "write the reference (authors, title, journal, year)")
    if problem := text_problem(text, max_len=MAX_CITATION_CHARS):
        raise InvalidInput.single("citation", problem)
    return text


def references_for(drug: Drug, library: Iterable[EvidenceReference] = ()) -> tuple[EvidenceReference, ...]:
    """The person's references for ``drug`` first, then kettrack's seed references (without repeats)."""
    chosen: list[EvidenceReference] = []
    seen: set[str] = set()
    for reference in (*library, *SEED_REFERENCES):
        if reference.drug not in (None, drug):
            continue
        key = reference.citation.casefold()
        if key not in seen:
            seen.add(key)
            chosen.append(reference)
    return tuple(chosen)


def numbered(references: Sequence[EvidenceReference]) -> str:
    """The references as a numbered list, one per line."""
    return "\n".join(f"{n}. {r.citation}" for n, r in enumerate(references, 1))
