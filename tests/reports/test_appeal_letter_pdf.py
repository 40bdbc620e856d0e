"""The appeal letter: drafted from the record, rendered, and read back."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, time, timedelta
from decimal import Decimal

from pypdf import PdfReader

from kettrack.core.appeal import (
    AppealCase,
    AppealLetter,
    ScorePoint,
    TreatmentPlan,
    plain_reason,
    score_points,
    session_frequency,
    treatment_plan,
)
from kettrack.core.deadlines import DEFAULT_RULES, appeal_deadline
from kettrack.core.enums import PayerKind, TreatmentKind, TreatmentOutcome
from kettrack.core.letter_text import draft_paragraphs
from kettrack.core.records import InfusionRecord, TreatmentRecord
from kettrack.core.superbill import Diagnosis
from kettrack.reports.appeal_letter import render_appeal_letter, table_points

RULES = DEFAULT_RULES[PayerKind.COMMERCIAL]


def _case() -> AppealCase:
    start = date(2026, 5, 4)
    scores = tuple(
        ScorePoint(start + timedelta(days=7 * n), phq9=22 - 2 * n, pain=7 - n // 2) for n in range(6)
    )
    return AppealCase(
        sender_name="Zoë Ñúñez",
        sender_address=("12 Elm Rd", "Boulder, CO 80301"),
        sender_phone="303-555-0199",
        payer_name="Blue Ridge Health Plan",
        appeals_address=("PO Box 1200", "Denver, CO 80201"),
        level_name="Internal appeal",
        claim_number="BR-2026-77812",
        member_id="XKM123456789",
        patient_name="Zoë Ñúñez",
        patient_dob=date(1985, 4, 12),
        service_dates=tuple(p.day for p in scores),
        amount_billed=Decimal("2250.00"),
        amount_denied=Decimal("2250.00"),
        denial_date=date(2026, 7, 1),
        denial_reason="the plan considers IV ketamine experimental for depression",
        denial_codes="CO-50",
        diagnoses=(
            Diagnosis("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
        ),
        treatments=(
            TreatmentRecord(
                1,
                TreatmentKind.MEDICATION,
                "Sertraline",
                "up to 200 mg daily, 2019-2020",
                outcome=TreatmentOutcome.NO_RESPONSE,
            ),
            TreatmentRecord(
                1,
                TreatmentKind.MEDICATION,
                "Venlafaxine",
                "225 mg daily",
                outcome=TreatmentOutcome.INTOLERABLE_SIDE_EFFECTS,
            ),
            TreatmentRecord(
                1,
                TreatmentKind.PSYCHOTHERAPY,
                "CBT",
                "16 sessions",
                outcome=TreatmentOutcome.PARTIAL_RESPONSE,
            ),
        ),
        plan=TreatmentPlan(
            "Ketamine (racemic)",
            "0.5 mg/kg",
            "IV over 40 minutes",
            "6 infusions over 3 weeks",
            "3 weeks, then monthly boosters",
        ),
        scores=scores,
        enclosures=("Denial letter dated 2026-07-01", "Superbill SB-2026-000042", "Clinic notes"),
        provider_name="Dana Reyes, MD",
        provider_npi="1234567893",
        deadline=appeal_deadline(RULES, RULES.level("internal"), date(2026, 7, 1), date(2026, 7, 6)),
    )


def test_letter_carries_claim_number_deadline_and_scores() -> None:
    case = _case()
    letter = AppealLetter(case, draft_paragraphs(case), "AP-2026-0007", date(2026, 7, 20))
    reader = PdfReader(io.BytesIO(render_appeal_letter(letter)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "BR-2026-77812" in flat
    # The deadline is the person's business (shown beside the draft), not the payer's.
    assert "2027-01-02" not in flat
    assert "PHQ-9 depression score went from 22 to 12" in flat
    for score in ("22", "20", "18", "16", "14", "12"):
        assert score in text
    assert "Sertraline" in flat and "intolerable side effects" in flat
    assert "Zoë Ñúñez" in flat and "CO-50" in flat and "Denial letter dated 2026-07-01" in flat
    assert f"Page 1 of {len(reader.pages)}" in flat


def test_edited_text_replaces_the_draft() -> None:
    case = _case()
    letter = AppealLetter(case, ("A short letter with <b> & friends.",), "AP-1", date(2026, 7, 20))
    text = " ".join(PdfReader(io.BytesIO(render_appeal_letter(letter))).pages[0].extract_text().split())
    assert "A short letter with <b> & friends." in text
    assert "I am writing" not in text


def _session(day: date, **scores: int | None) -> InfusionRecord:
    return InfusionRecord(
        1,
        day,
        start_time=time(9, 0),
        end_time=time(9, 45),
        dose_mg=Decimal("35.00"),
        weight_kg=Decimal("70.00"),
        **scores,  # type: ignore[arg-type]
    )


def test_plan_and_scores_come_from_the_sessions() -> None:
    start = date(2026, 3, 2)
    offsets = [0, 2, 4, 7, 9, 11, 32, 60, 88]
    sessions = [
        _session(start + timedelta(days=o), phq9_before=None if n == 0 else 20 - n, phq9_after=15 - n)
        for n, o in enumerate(offsets)
    ]
    plan = treatment_plan(sessions)
    assert plan is not None
    assert (plan.drug, plan.dose) == ("Ketamine (racemic)", "0.5 mg/kg (about 35 mg)")
    assert plan.route == "IV infusion over about 45 minutes"
    assert plan.frequency == "6 sessions in 12 days, then maintenance sessions every 3-4 weeks"
    assert plan.duration == "13 weeks so far (2026-03-02 to 2026-05-29), continuing"
    assert session_frequency([start, start + timedelta(days=3), start + timedelta(days=7)]) == (
        "3 sessions over 1 week (about 3 a week)"
    )
    scores = score_points(sessions)
    # Before each session where recorded; the first session had only its after-score.
    assert [p.phq9 for p in scores] == [15, 19, 18, 17, 16, 15, 14, 13, 12]
    assert plain_reason("Not medically necessary in the plan's view; appeal with evidence") == (
        "not medically necessary in the plan's view"
    )


def test_a_long_course_lists_twelve_sessions_and_charts_all() -> None:
    start = date(2025, 1, 6)
    points = tuple(ScorePoint(start + timedelta(days=7 * n), phq9=24 - n // 3) for n in range(40))
    assert len(table_points(points)) == 12
    assert table_points(points)[0] == points[0] and table_points(points)[-1] == points[-1]
    case = replace(_case(), scores=points)
    flat = " ".join(
        PdfReader(io.BytesIO(render_appeal_letter(AppealLetter(case, ("Text.",), "AP-9", date(2026, 7, 20)))))
        .pages[-1]
        .extract_text()
        .split()
    )
    assert "The table lists 12 of the 40 sessions" in flat


def test_a_late_letter_asks_for_good_cause() -> None:
    case = _case()
    assert case.deadline is not None
    late = " ".join(draft_paragraphs(case, case.deadline.due + timedelta(days=1)))
    assert "after the usual deadline of 2027-01-02" in late and "good cause" in late
    assert "[fill in: why it is late]" in late  # issuing is refused until the person says why
    assert "within the time the plan allows" in " ".join(draft_paragraphs(case, case.deadline.due))
