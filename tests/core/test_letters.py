"""Letters in core: the arguments a denial's route chooses, the amount in dispute, the claim-file
request per kind of plan, the blocks of every letter kind, and advice kept apart from the text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from kettrack.core.appeal import AppealCase, ScorePoint, TreatmentPlan, case_warnings
from kettrack.core.claims import Adjustment, GroupCode, Money, PriorAuthInfo
from kettrack.core.denial_triage import Triage, TriageRoute
from kettrack.core.enums import Drug, PayerKind, TreatmentKind, TreatmentOutcome
from kettrack.core.letter_amounts import DisputeLine, amount_in_dispute, patient_share
from kettrack.core.letter_clinical import (
    ClinicalCase,
    clinical_facts,
    medical_necessity_blocks,
    prior_authorization_blocks,
)
from kettrack.core.letter_draft import blocks_from_text, blocks_to_text, parse_lines
from kettrack.core.letter_evidence import SEED_REFERENCES, EvidenceReference, references_for
from kettrack.core.letter_kinds import Argument, LetterKind, arguments_for, letter_route
from kettrack.core.letter_text import (
    LetterBlock,
    appeal_blocks,
    appeal_facts,
    claim_file_request,
    placeholder_problem,
)
from kettrack.core.problems import InvalidInput
from kettrack.core.records import TreatmentRecord
from kettrack.core.superbill import Diagnosis

CO, PR = GroupCode.CO, GroupCode.PR
D = Decimal


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (TriageRoute.MEDICAL_NECESSITY, (Argument.MEDICAL_NECESSITY,)),
        (TriageRoute.EXPERIMENTAL, (Argument.EXPERIMENTAL, Argument.MEDICAL_NECESSITY)),
        (TriageRoute.AUTHORIZATION, (Argument.AUTHORIZATION,)),  # never medical necessity (issue 11)
        (TriageRoute.TIMELY_FILING, (Argument.TIMELY_FILING,)),
        (TriageRoute.NETWORK_GAP, (Argument.NETWORK_GAP,)),
        (TriageRoute.UNKNOWN, (Argument.GENERAL,)),
        (TriageRoute.PAID_AS_EXPECTED, (Argument.GENERAL,)),
        (None, (Argument.GENERAL,)),
    ],
)
def test_the_route_chooses_the_arguments(route: TriageRoute | None, expected: tuple[Argument, ...]) -> None:
    assert arguments_for(route) == expected


@pytest.mark.parametrize(
    ("adjustments", "route"),
    [
        ((Adjustment(CO, "50", D("100")),), TriageRoute.MEDICAL_NECESSITY),
        ((Adjustment(CO, "55", D("100")),), TriageRoute.EXPERIMENTAL),
        ((Adjustment(CO, "56", D("100")),), TriageRoute.EXPERIMENTAL),
        ((Adjustment(CO, "45", D("5")), Adjustment(CO, "197", D("100"))), TriageRoute.AUTHORIZATION),
        ((Adjustment(CO, "29", D("100")),), TriageRoute.TIMELY_FILING),
        ((Adjustment(CO, "242", D("100")),), TriageRoute.NETWORK_GAP),
    ],
)
def test_the_denials_codes_give_the_route(adjustments: tuple[Adjustment, ...], route: TriageRoute) -> None:
    assert letter_route(adjustments) is route


LINES = (
    DisputeLine(1, date(2026, 9, 1), "G2083", D("520.00")),
    DisputeLine(2, date(2026, 9, 4), "G2083", D("520.00")),
    DisputeLine(3, date(2026, 9, 8), "G2083", D("520.00")),
    DisputeLine(4, date(2026, 9, 11), "G2083", D("520.00")),
)


@pytest.mark.parametrize(
    ("money", "adjustments", "disputed", "expected"),
    [
        # Denied whole: the whole charge.
        (Money(billed=D("2080.00")), (Adjustment(CO, "50", D("2080.00")),), None, D("2080.00")),
        # The deductible is the patient's share, not the plan's to pay.
        (Money(billed=D("2080.00"), deductible=D("50.00")), (), None, D("2030.00")),
        # A share typed in as PR adjustment lines only counts the same.
        (Money(billed=D("2080.00")), (Adjustment(PR, "2", D("80.00")),), None, D("2000.00")),
        # Partly paid: allowed 1248, CO-45 832, one session refused (312), coinsurance 187.20.
        (
            Money(billed=D("2080.00"), paid=D("748.80"), coinsurance=D("187.20"), written_off=D("832.00")),
            (
                Adjustment(CO, "45", D("832.00")),
                Adjustment(CO, "197", D("312.00")),
                Adjustment(PR, "2", D("187.20")),
            ),
            None,
            D("312.00"),
        ),
        # One line disputed of a denied claim: that line's charge.
        (Money(billed=D("2080.00")), (Adjustment(CO, "50", D("2080.00")),), (4,), D("520.00")),
        # One line of a partly paid claim: never more than what is open on the claim.
        (
            Money(billed=D("2080.00"), paid=D("748.80"), coinsurance=D("187.20"), written_off=D("832.00")),
            (Adjustment(CO, "197", D("312.00")),),
            (4,),
            D("312.00"),
        ),
        # Every line chosen is the whole claim.
        (Money(billed=D("2080.00"), paid=D("80.00")), (), (1, 2, 3, 4), D("2000.00")),
        # Paid in full: nothing in dispute.
        (Money(billed=D("2080.00"), paid=D("2080.00")), (), None, D("0.00")),
    ],
)
def test_the_amount_in_dispute(
    money: Money, adjustments: tuple[Adjustment, ...], disputed: tuple[int, ...] | None, expected: Decimal
) -> None:
    assert amount_in_dispute(LINES, disputed, money, adjustments) == expected


def test_the_patient_share_takes_the_larger_of_stated_and_pr_lines() -> None:
    assert patient_share(Money(copay=D("30")), (Adjustment(PR, "3", D("30")),)) == D("30")
    assert patient_share(Money(), (Adjustment(PR, "1", D("40")), Adjustment(CO, "45", D("9")))) == D("40")


@pytest.mark.parametrize(
    ("kind", "cited", "not_cited"),
    [
        (PayerKind.EMPLOYER_PLAN, "29 CFR 2560.503-1(h)(2)(iii)", "147.136"),
        (PayerKind.COMMERCIAL, "45 CFR 147.136(b)", "2560.503-1"),
        (PayerKind.ORIGINAL_MEDICARE, "coverage determination", "CFR"),
        (PayerKind.MEDICAID, "claim file", "CFR"),
    ],
)
def test_the_claim_file_request_cites_the_plans_rule(kind: PayerKind, cited: str, not_cited: str) -> None:
    text = claim_file_request(kind, clinic=False)
    assert cited in text and not_cited not in text and "free of charge" in text


def _case(**changes: object) -> AppealCase:
    scores = (
        ScorePoint(date(2026, 7, 1), phq9=21, phq9_after=15),
        ScorePoint(date(2026, 7, 8), phq9=16, phq9_after=11),
        ScorePoint(date(2026, 8, 5), phq9=9, phq9_after=6),
    )
    case = AppealCase(
        sender_name="Ada Quill",
        sender_address=("1 Elm St", "Town, NC 27000"),
        payer_name="Blue Plan",
        appeals_address=("Appeals", "PO Box 1"),
        level_name="Internal appeal",
        claim_number="BP-1234",
        member_id="M-77",
        patient_name="Ada Quill",
        patient_dob=date(1980, 5, 1),
        service_dates=tuple(p.day for p in scores),
        amount_billed=D("1500.00"),
        amount_denied=D("1500.00"),
        denial_date=date(2026, 9, 1),
        denial_reason="not medically necessary in the plan's view",
        diagnoses=(Diagnosis("F33.2", "Major depressive disorder, recurrent severe"),),
        treatments=(
            TreatmentRecord(
                1,
                TreatmentKind.MEDICATION,
                "Sertraline",
                outcome=TreatmentOutcome.NO_RESPONSE,
                notes="my own note: hated it",
            ),
        ),
        plan=TreatmentPlan(
            "Ketamine (racemic)", "0.5 mg/kg", "IV infusion over about 40 minutes", "weekly", "6 weeks"
        ),
        scores=scores,
        enclosures=("Copy of the decision notice dated 2026-09-01",),
        denial_codes="CO-50, N130",
        reference="CL-000001",
        payer_kind=PayerKind.EMPLOYER_PLAN,
        amount_in_dispute=D("606.00"),
        drug=Drug.KETAMINE,
        evidence=references_for(Drug.KETAMINE),
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def _text(blocks: tuple[LetterBlock, ...]) -> str:
    return " ".join(" ".join(f"{b.title} {b.text}".split()) for b in blocks)


def test_a_medical_necessity_appeal() -> None:
    case = _case()
    text = _text(appeal_blocks(case, LetterKind.APPEAL, date(2026, 9, 10)))
    assert "claim BP-1234" in text and "$606.00" in text and "$1,500.00" not in text
    assert "PHQ-9 21 before and 15 after on 2026-07-01" in text and "went from 21 to 9" in text
    assert "29 CFR 2560.503-1(h)(2)(iii)" in text and "Sertraline" in text
    assert "CL-000001" not in text and "hated it" not in text  # kettrack's number, the person's note
    facts = appeal_facts(case, LetterKind.APPEAL)
    assert "Claim number: BP-1234" in facts.references and facts.signer == ("Ada Quill", "Patient")
    assert "Amount billed: $1,500.00; amount in dispute: $606.00" in facts.references


def test_an_experimental_denial_of_ketamine_cites_the_evidence_library() -> None:
    mine = EvidenceReference("Doe J. My own study. J Ket. 2024;1:1-2.", Drug.KETAMINE, 7)
    case = _case(
        arguments=(Argument.EXPERIMENTAL, Argument.MEDICAL_NECESSITY),
        evidence=references_for(Drug.KETAMINE, [mine]),
    )
    text = _text(appeal_blocks(case, LetterKind.APPEAL))
    assert "not experimental or investigational" in text
    assert "1. Doe J. My own study" in text and "Murrough JW" in text and "Zarate CA Jr" in text
    assert "Spravato" not in text
    assert text.index("not experimental") < text.index("Medical necessity")


def test_an_experimental_denial_of_esketamine_states_the_fda_approval() -> None:
    case = _case(
        arguments=(Argument.EXPERIMENTAL,), drug=Drug.ESKETAMINE, evidence=references_for(Drug.ESKETAMINE)
    )
    text = _text(appeal_blocks(case, LetterKind.APPEAL))
    assert "March 5, 2019" in text and "REMS" in text and "Murrough" not in text
    assert "Medical necessity" not in text


def test_an_authorization_denial_cites_the_authorization_not_necessity() -> None:
    auth = PriorAuthInfo(
        1,
        1,
        1,
        "PA-2026-118734",
        "approved",
        date(2026, 6, 1),
        date(2026, 6, 20),
        "G2083 G2082",
        24,
        date(2026, 6, 25),
        date(2026, 12, 31),
    )
    case = _case(arguments=(Argument.AUTHORIZATION,), authorization=auth)
    text = _text(appeal_blocks(case, LetterKind.APPEAL))
    assert "PA-2026-118734" in text and "24 units" in text and "valid from 2026-06-25 to 2026-12-31" in text
    assert "fall within it" in text and "PHQ-9" not in text and "Medical necessity" not in text
    retro = _text(appeal_blocks(_case(arguments=(Argument.AUTHORIZATION,)), LetterKind.APPEAL))
    assert "retroactively" in retro
    assert any(
        "retro-authorization" in w for w in case_warnings(replace(case, authorization=None), date(2026, 9, 9))
    )


def test_a_timely_filing_denial_shows_the_submission_and_its_proof() -> None:
    case = _case(
        arguments=(Argument.TIMELY_FILING,),
        submitted_on=date(2026, 8, 10),
        submit_method="portal",
        submission_proof=("Proof of submission: portal confirmation",),
        filing_limit="90 days after the date of service",
    )
    text = _text(appeal_blocks(case, LetterKind.APPEAL))
    assert "first submitted on 2026-08-10 by portal, within the plan's filing limit of 90 days" in text
    assert "portal confirmation" in text
    assert "Proof of submission: portal confirmation" in appeal_facts(case, LetterKind.APPEAL).enclosures


def test_a_network_gap_request_needs_the_persons_facts_before_issuing() -> None:
    blocks = appeal_blocks(_case(arguments=(Argument.NETWORK_GAP,)), LetterKind.APPEAL)
    assert "network adequacy (gap) exception" in _text(blocks)
    problem = placeholder_problem(blocks)
    assert problem is not None and "[fill in: the in-network providers contacted" in problem


def test_an_external_review_request() -> None:
    case = _case(level_name="External review")
    blocks = appeal_blocks(case, LetterKind.EXTERNAL_REVIEW)
    text = _text(blocks)
    assert text.startswith("I request an external review, by an independent review organization")
    assert "upheld that decision on internal appeal" in text and "$606.00" in text
    facts = appeal_facts(case, LetterKind.EXTERNAL_REVIEW)
    assert facts.subject == "Re: Request for external review of claim BP-1234"


def test_without_a_claim_number_the_letter_says_so_and_advice_asks_for_it() -> None:
    case = _case(claim_number="", submitted_on=date(2026, 8, 10))
    text = _text(appeal_blocks(case, LetterKind.APPEAL))
    assert "the claim submitted on 2026-08-10 (the plan gave it no claim number)" in text
    assert "CL-000001" not in text
    assert "Claim number: none given by the plan" in appeal_facts(case, LetterKind.APPEAL).references
    assert any(w.startswith("No payer claim number") for w in case_warnings(case, date(2026, 9, 9)))


def test_advice_never_reaches_the_letters_text() -> None:
    case = _case(claim_number="", appeals_address=(), treatments=(), scores=())
    advice = case_warnings(case, date(2027, 9, 9))
    assert len(advice) >= 4
    text = _text(appeal_blocks(case, LetterKind.APPEAL)) + " ".join(
        appeal_facts(case, LetterKind.APPEAL).references
    )
    for line in advice:
        assert line not in text
    for words in ("kettrack", "until you record", "benefit documents", "add it to the payer"):
        assert words not in text


def _clinical(**changes: object) -> ClinicalCase:
    case = ClinicalCase(
        patient_name="Harold B. Kemperman",
        patient_dob=date(1950, 2, 2),
        member_id="1EG4",
        group_number="",
        payer_name="Medicare",
        payer_address=("PO Box 9",),
        provider_name="Miriam Okonkwo-Hale, MD",
        provider_npi="1987654328",
        office_name="Fernhollow Clinic",
        office_address=("2150 Larkspur",),
        office_phone="(919) 555-0142",
        diagnoses=(Diagnosis("F33.2", "MDD"),),
        treatments=(),
        plan=None,
        scores=(),
        drug=Drug.ESKETAMINE,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def test_a_letter_of_medical_necessity_for_the_provider_to_sign() -> None:
    case = _clinical(claim_number="MCR-1", service_dates=(date(2026, 9, 1),))
    text = _text(medical_necessity_blocks(case))
    assert text.startswith("I am the treating provider of Harold B. Kemperman")
    assert "supports claim MCR-1" in text and "March 5, 2019" in text and "professional judgment" in text
    facts = clinical_facts(case, LetterKind.MEDICAL_NECESSITY)
    assert facts.signer == ("Miriam Okonkwo-Hale, MD", "NPI 1987654328", "Treating provider")
    assert facts.sender[0] == "Fernhollow Clinic" and facts.recipient[1] == "Medical director"


def test_a_prior_authorization_request() -> None:
    case = _clinical(codes="G2083 G2082", units=24, period_from=date(2027, 1, 1), period_to=date(2027, 6, 30))
    blocks = prior_authorization_blocks(case)
    text = _text(blocks)
    assert "G2083 G2082, 24 units, from 2027-01-01 to 2027-06-30" in text
    assert placeholder_problem(blocks) is None
    unfinished = prior_authorization_blocks(_clinical())
    assert placeholder_problem(unfinished) is not None
    assert clinical_facts(case, LetterKind.PRIOR_AUTHORIZATION).recipient[1] == "Utilization management"


def test_the_text_form_of_the_blocks_round_trips() -> None:
    blocks = appeal_blocks(_case(), LetterKind.APPEAL)
    again = blocks_from_text(blocks_to_text(blocks), blocks)
    assert [(b.title, b.text) for b in again] == [(b.title, b.text) for b in blocks]
    assert again[1].key == "medical_necessity"


def test_line_ranges() -> None:
    assert parse_lines("1, 3-4,4") == (1, 3, 4)
    with pytest.raises(InvalidInput) as bad:
        parse_lines("2-1")
    assert bad.value.for_field("lines")


def test_seed_references_are_bibliographic_and_per_drug() -> None:
    assert {r.drug for r in SEED_REFERENCES} == {Drug.KETAMINE, Drug.ESKETAMINE}
    assert all(r.seeded for r in SEED_REFERENCES)
    assert all("Murrough" not in r.citation for r in references_for(Drug.ESKETAMINE))


def test_a_triage_value_constructed_directly_chooses_the_same() -> None:
    reading = Triage(TriageRoute.EXPERIMENTAL, "said it is experimental", "appeal with evidence", ("CO-55",))
    assert arguments_for(reading.route)[0] is Argument.EXPERIMENTAL


def test_a_decision_without_adjustment_lines_takes_the_general_appeal_rule() -> None:
    from kettrack.core.letter_kinds import letter_route

    assert letter_route([]) is None
