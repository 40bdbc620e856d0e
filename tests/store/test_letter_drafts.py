"""Letter drafts on a real SQLite workspace with the demo set: every kind drafted from the record,
nothing filed while it is a draft, the PDF read back (pypdf) for what must and must not be in
it, issuing refused without the payer's claim number, and the provider's letters kept as documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kettrack.core.claim_states import ClaimState, EventKind
from kettrack.core.claims import NewEvent
from kettrack.core.enums import Drug
from kettrack.core.letter_kinds import Argument, LetterKind
from kettrack.core.money import format_usd
from kettrack.core.problems import InvalidInput
from kettrack.services.demo import fill_demo
from kettrack.services.letter_drafts import LetterService
from tests.conftest import TODAY
from tests.store.stored_documents import document_shas, pdf_text


def read_pdf(data: bytes) -> str:
    """The letter's text as a PDF reader extracts it, whitespace folded."""
    return " ".join(pdf_text(data).split())


@pytest.fixture
def demo(workspace: Any) -> Any:
    fill_demo(workspace)
    return workspace


def _claim(ws: Any, state: ClaimState, payer_words: str) -> Any:
    return next(r for r in ws.claim_views.rows() if r.state is state and payer_words in r.payer_name)


def _claim_coded(ws: Any, reason: str, *states: ClaimState) -> Any:
    """The demo's claim decided with ``reason`` (a CARC), in one of ``states``."""
    for row in ws.claim_views.rows():
        if row.state not in states:
            continue
        coded = [e for e in ws.claim_views.get(row.id).events if e.adjustments]
        if coded and any(a.reason == reason for a in coded[-1].adjustments):
            return row
    raise AssertionError(f"the demo has no claim decided with {reason}")


def _events(ws: Any, claim_id: int) -> int:
    return len(ws.claim_views.get(claim_id).events)


def test_an_authorization_appeal_states_the_disputed_amount_only(demo: Any, db_path: Path) -> None:
    letters = LetterService(demo.appeals)
    row = _claim_coded(demo, "197", ClaimState.PARTIALLY_PAID)
    detail = demo.claim_views.get(row.id)
    refused = next(a.amount for a in detail.events[-1].adjustments if a.reason == "197")
    before, documents = _events(demo, row.id), document_shas(db_path)
    draft = letters.start(LetterKind.APPEAL, claim_id=row.id)
    # A draft files nothing and keeps no document.
    assert _events(demo, row.id) == before and document_shas(db_path) == documents
    assert draft.arguments == (Argument.AUTHORIZATION,) and draft.amount_in_dispute == refused
    flat = read_pdf(letters.preview_pdf(draft.id))
    assert (
        "DRAFT" in flat and format_usd(refused) in flat and format_usd(row.billed) + " in dispute" not in flat
    )
    assert "PA-2026-118734" in flat and "MCR-55120934" in flat
    assert "PHQ-9" not in flat  # an authorization denial is not argued on medical necessity
    issued = letters.issue(draft.id, issued_on=TODAY, note="Sent by fax")
    pdf = demo.appeals.letter_pdf(issued.id)
    flat = read_pdf(pdf)
    assert format_usd(refused) in flat and "amount in dispute" in flat.lower()
    assert row.number not in flat  # kettrack's own CL- number never reaches the payer
    assert "Sent by fax" not in flat  # the person's note is for the timeline
    for event in detail.events:
        if event.note:
            assert event.note not in flat
    for line in draft.advice:
        assert line not in flat
    for words in ("until you record", "benefit documents", "kettrack"):
        assert words not in flat
    assert "Authorized representative of the patient, Harold B. Kemperman" in flat
    assert demo.claim_views.get(row.id).status.state is ClaimState.APPEAL_FILED
    assert letters.get(draft.id).issued_number == issued.number
    with pytest.raises(InvalidInput, match="already issued"):
        letters.issue(draft.id, issued_on=TODAY)


def test_an_experimental_appeal_with_evidence_and_scores_before_and_after(demo: Any) -> None:
    letters = LetterService(demo.appeals)
    row = _claim_coded(demo, "55", ClaimState.DENIED)
    draft = letters.start(LetterKind.APPEAL, claim_id=row.id)
    assert draft.arguments == (Argument.EXPERIMENTAL, Argument.MEDICAL_NECESSITY)
    flat = read_pdf(letters.preview_pdf(draft.id))
    assert "Murrough JW" in flat and "Zarate CA Jr" in flat
    assert "PHQ-9 before" in flat and "PHQ-9 after" in flat and "45 CFR 147.136(b)" in flat
    assert format_usd(row.billed) in flat
    # The reason codes' advice ("Check the plan's benefit documents for limits") is not the payer's text.
    assert "Check the plan" not in flat and "N130" in flat
    for event in demo.claim_views.get(row.id).events:
        if event.note:
            assert event.note not in flat  # the person's own notes on the timeline


def test_choosing_arguments_and_lines(demo: Any) -> None:
    letters = LetterService(demo.appeals)
    row = _claim_coded(demo, "55", ClaimState.DENIED)
    lines = demo.claim_views.get(row.id).lines
    draft = letters.start(
        LetterKind.APPEAL, claim_id=row.id, arguments=(Argument.MEDICAL_NECESSITY,), disputed=(len(lines),)
    )
    assert draft.arguments == (Argument.MEDICAL_NECESSITY,)
    assert draft.amount_in_dispute == lines[-1].charge
    flat = read_pdf(letters.preview_pdf(draft.id))
    assert "Murrough JW" not in flat and format_usd(lines[-1].charge) in flat
    with pytest.raises(InvalidInput) as bad:
        letters.start(LetterKind.APPEAL, claim_id=row.id, disputed=(99,))
    assert bad.value.for_field("lines")


def test_issuing_without_the_payers_claim_number_is_refused_until_confirmed(demo: Any, db_path: Path) -> None:
    letters = LetterService(demo.appeals)
    # The claim number was never recorded: the claim waiting for an answer, now denied.
    waiting = next(
        r for r in demo.claim_views.rows() if r.state is ClaimState.SUBMITTED and not r.payer_claim_number
    )
    demo.claims.record(waiting.id, NewEvent(EventKind.DENIED, TODAY, received_on=TODAY))
    draft = letters.start(LetterKind.APPEAL, claim_id=waiting.id)
    assert draft.payer_claim_number == "" and any("No payer claim number" in a for a in draft.advice)
    flat = read_pdf(letters.preview_pdf(draft.id))
    assert waiting.number not in flat and "none given by the plan" in flat
    before, documents = _events(demo, waiting.id), document_shas(db_path)
    with pytest.raises(InvalidInput) as refused:
        letters.issue(draft.id, issued_on=TODAY)
    assert refused.value.for_field("payer_claim_number")
    assert _events(demo, waiting.id) == before and document_shas(db_path) == documents
    issued = letters.issue(draft.id, issued_on=TODAY, no_claim_number=True)
    assert issued.claim_id == waiting.id


def test_an_external_review_request_after_an_upheld_appeal(demo: Any) -> None:
    letters = LetterService(demo.appeals)
    row = _claim(demo, ClaimState.APPEAL_FILED, "Blue Ridge")
    with pytest.raises(InvalidInput):
        letters.start(LetterKind.EXTERNAL_REVIEW, claim_id=row.id)  # an appeal is under way
    demo.claims.record(row.id, NewEvent(EventKind.APPEAL_UPHELD, TODAY, received_on=TODAY))
    draft = letters.start(LetterKind.APPEAL, claim_id=row.id)
    assert draft.kind is LetterKind.EXTERNAL_REVIEW
    flat = read_pdf(letters.preview_pdf(draft.id))
    assert "Request for external review" in flat and "independent review organization" in flat
    issued = letters.issue(draft.id, issued_on=TODAY)
    assert demo.claim_views.get(row.id).status.state is ClaimState.EXTERNAL_REVIEW
    assert "External review request" in read_pdf(demo.appeals.letter_pdf(issued.id))


def test_a_letter_of_medical_necessity_and_an_authorization_request(demo: Any, db_path: Path) -> None:
    letters = LetterService(demo.appeals)
    harold = next(p for p in demo.patients.list() if p.legal_name.startswith("Harold"))
    lmn = letters.start(LetterKind.MEDICAL_NECESSITY, patient_id=harold.id)
    flat = read_pdf(letters.preview_pdf(lmn.id))
    assert "Letter of medical necessity" in flat and "March 5, 2019" in flat and "NPI 1987654328" in flat
    issued = letters.issue(lmn.id, issued_on=TODAY)
    assert issued.number == "LMN-000001" and issued.sha256 in document_shas(db_path)
    assert "LMN-000001" in read_pdf(letters.letter_pdf(issued.id))

    request = letters.start(LetterKind.PRIOR_AUTHORIZATION, patient_id=harold.id)
    with pytest.raises(InvalidInput, match="fill in") as unfinished:
        letters.issue(request.id, issued_on=TODAY)
    assert unfinished.value.for_field("text")
    done = letters.start(
        LetterKind.PRIOR_AUTHORIZATION,
        patient_id=harold.id,
        codes="g2083 G2082",
        units=24,
        period_from=TODAY,
        period_to=TODAY.replace(year=TODAY.year + 1),
    )
    issued = letters.issue(done.id, issued_on=TODAY)
    flat = read_pdf(letters.letter_pdf(issued.id))
    assert issued.number == "PAR-000001" and "G2083 G2082, 24 units" in flat
    assert all(a not in flat for a in done.advice)


def test_editing_and_the_evidence_library(demo: Any) -> None:
    letters = LetterService(demo.appeals)
    reference = letters.add_evidence("Roe R.  A  trial. J Mood. 2025;3:4-9.", Drug.KETAMINE)
    assert reference.citation == "Roe R. A trial. J Mood. 2025;3:4-9." and letters.evidence() == [reference]
    with pytest.raises(InvalidInput) as bad:
        letters.add_evidence("  ")
    assert bad.value.for_field("citation")
    row = _claim_coded(demo, "55", ClaimState.DENIED)
    draft = letters.start(LetterKind.APPEAL, claim_id=row.id, arguments=(Argument.EXPERIMENTAL,))
    assert "Roe R. A trial" in draft.blocks[1].text
    edited = (draft.blocks[0], *draft.blocks[1:-1], type(draft.blocks[-1])("closing", "", "Edited closing."))
    saved = letters.save(draft.id, edited)
    assert saved.blocks[-1].text == "Edited closing." and letters.drafts(claim_id=row.id)[0].id == draft.id
    assert "Edited closing." in read_pdf(letters.preview_pdf(draft.id))
    letters.discard(draft.id)
    assert letters.drafts(claim_id=row.id) == []
