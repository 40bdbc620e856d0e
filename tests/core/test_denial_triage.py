"""Denial triage as a table: each row an EOB or denial (its adjustment lines as GROUP-REASON:AMOUNT:REMARKS,
claim-level remarks, and the money it weighs) and the route it leads to, with the billing reference's
line it follows (../shared/reference/billing.md, "Denial codes that matter here")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kettrack.core.claims import Adjustment, Filer, GroupCode, PriorAuthInfo
from kettrack.core.denial_codes import CODES, PRECEDENCE, TriageRoute, table
from kettrack.core.denial_triage import TriageContext, authorization_on_file, collects_share, triage
from kettrack.core.enums import UserRole
from kettrack.core.reason_codes import STARTER_CARCS, STARTER_RARCS

D = Decimal
R = TriageRoute


def _lines(spec: str) -> list[Adjustment]:
    found = []
    for part in spec.split(";"):
        if not part.strip():
            continue
        code, amount, *remarks = part.strip().split(":")
        group, reason = code.split("-")
        found.append(Adjustment(GroupCode(group), reason, D(amount), remarks[0] if remarks else ""))
    return found


# (adjustments, claim remarks, billed, paid, allowed, stated patient share, route, source/why)
ROWS: list[tuple[str, str, str | None, str | None, str | None, str | None, TriageRoute, str]] = [
    # --- paid as expected: never an appeal -------------------------------------------------------
    ("CO-45:400.00;PR-2:120.00", "", "1000.00", "480.00", "600.00", None, R.PAID_AS_EXPECTED, "CO-45 + PR-2"),
    ("PR-2:120.00", "", "1000.00", "480.00", "600.00", None, R.PAID_AS_EXPECTED, "only PR, allowed given"),
    ("PR-1:200.00;PR-2:80.00", "", "1000.00", "320.00", "600.00", None, R.PAID_AS_EXPECTED, "PR-1 + PR-2"),
    ("PR-3:30.00", "", "450.00", "420.00", None, None, R.PAID_AS_EXPECTED, "copay only"),
    ("CO-45:150.00", "", "450.00", "300.00", None, None, R.PAID_AS_EXPECTED, "CO-45, plan pays rest"),
    ("", "", "450.00", "450.00", None, None, R.PAID_AS_EXPECTED, "paid in full"),
    ("", "", "450.00", "240.00", "300.00", "60.00", R.PAID_AS_EXPECTED, "share stated, not as lines"),
    ("CO-45:150.00;PR-2:60.00:N130", "", "450.00", "240.00", None, None, R.PAID_AS_EXPECTED, "N130 informs"),
    ("PR-45:150.00;PR-2:60.00", "", "450.00", "240.00", None, None, R.PAID_AS_EXPECTED, "out of network"),
    ("PR-1:450.00", "", "450.00", "0.00", None, None, R.PAID_AS_EXPECTED, "all to the deductible"),
    (
        "CO-45:100.00;PR-2:70.00:N999",
        "",
        "450.00",
        "280.00",
        None,
        None,
        R.PAID_AS_EXPECTED,
        "unknown remark",
    ),
    # --- missing information: a corrected or new claim, not an appeal ---------------------------------
    ("CO-16:450.00", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "CO-16 alone"),
    ("CO-16:450.00:M119", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "CO-16 + M119 (NDC)"),
    ("CO-16:450.00:M51", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "M51 procedure code"),
    ("CO-16:450.00:M76", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "M76 diagnosis"),
    ("CO-16:450.00", "MA130", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "MA130: new claim"),
    ("CO-16:450.00:N290", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "N290 rendering NPI"),
    ("CO-16:450.00:N350", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "N350 NOC description"),
    ("CO-252:450.00:N29", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "records asked for"),
    ("CO-4:65.00;CO-45:100.00", "", "450.00", "285.00", None, None, R.CORRECTED_CLAIM, "CO-4 modifier"),
    ("CO-5:450.00", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "POS does not fit"),
    ("CO-181:450.00", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "code not valid on the date"),
    ("CO-50:450.00:N29", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "records first, then judged"),
    # --- authorization ---------------------------------------------------------------------------------
    ("CO-197:450.00", "", "450.00", "0.00", None, None, R.AUTHORIZATION, "CO-197 absent"),
    ("CO-15:450.00", "", "450.00", "0.00", None, None, R.AUTHORIZATION, "CO-15 number"),
    ("CO-198:450.00", "", "450.00", "0.00", None, None, R.AUTHORIZATION, "CO-198 exceeded"),
    ("CO-16:450.00:M62", "", "450.00", "0.00", None, None, R.AUTHORIZATION, "CO-16 about the auth code"),
    ("CO-45:100.00;CO-197:120.00;PR-2:40.00", "", "450.00", "190.00", None, None, R.AUTHORIZATION, "part"),
    # --- medical necessity and evidence -------------------------------------------------------------------
    ("CO-50:450.00", "", "450.00", "0.00", None, None, R.MEDICAL_NECESSITY, "CO-50"),
    ("CO-50:450.00:N386", "", "450.00", "0.00", None, None, R.MEDICAL_NECESSITY, "CO-50 under an NCD"),
    ("CO-167:450.00", "", "450.00", "0.00", None, None, R.MEDICAL_NECESSITY, "diagnosis not covered"),
    ("CO-11:450.00", "", "450.00", "0.00", None, None, R.MEDICAL_NECESSITY, "dx inconsistent"),
    ("PR-50:450.00", "", "450.00", "0.00", None, None, R.MEDICAL_NECESSITY, "PR-50: patient liable"),
    ("CO-55:450.00", "", "450.00", "0.00", None, None, R.EXPERIMENTAL, "experimental"),
    ("CO-56:450.00", "", "450.00", "0.00", None, None, R.EXPERIMENTAL, "not proven effective"),
    ("CO-50:200.00;CO-55:250.00", "", "450.00", "0.00", None, None, R.EXPERIMENTAL, "evidence before"),
    # --- timely filing, network, coordination of benefits, duplicate ----------------------------------------
    ("CO-29:450.00", "", "450.00", "0.00", None, None, R.TIMELY_FILING, "CO-29"),
    ("CO-29:450.00;CO-50:450.00", "", "450.00", "0.00", None, None, R.TIMELY_FILING, "late beats merits"),
    ("CO-242:450.00", "", "450.00", "0.00", None, None, R.NETWORK_GAP, "out of network"),
    ("CO-243:450.00", "", "450.00", "0.00", None, None, R.NETWORK_GAP, "not network-authorized"),
    ("CO-22:450.00", "", "450.00", "0.00", None, None, R.COORDINATION_OF_BENEFITS, "CO-22"),
    ("CO-16:450.00:N479", "", "450.00", "0.00", None, None, R.COORDINATION_OF_BENEFITS, "N479"),
    ("OA-23:150.00", "", "450.00", "300.00", None, None, R.COORDINATION_OF_BENEFITS, "prior payer"),
    ("CO-109:450.00", "", "450.00", "0.00", None, None, R.COORDINATION_OF_BENEFITS, "wrong payer"),
    ("CO-18:450.00", "", "450.00", "0.00", None, None, R.DUPLICATE, "CO-18"),
    ("CO-18:450.00;CO-16:450.00:M119", "", "450.00", "0.00", None, None, R.DUPLICATE, "duplicate first"),
    ("CO-16:450.00:M76;CO-197:450.00", "", "450.00", "0.00", None, None, R.CORRECTED_CLAIM, "info first"),
    ("CO-22:450.00;CO-50:450.00", "", "450.00", "0.00", None, None, R.COORDINATION_OF_BENEFITS, "COB first"),
    # --- the general appeal rule ----------------------------------------------------------------------
    ("CO-999:450.00", "", "450.00", "0.00", None, None, R.UNKNOWN, "unknown code"),
    ("CO-96:450.00", "", "450.00", "0.00", None, None, R.UNKNOWN, "benefit exclusion"),
    ("CO-204:450.00", "", "450.00", "0.00", None, None, R.UNKNOWN, "not in the benefit plan"),
    ("", "", "450.00", "0.00", None, None, R.UNKNOWN, "refused with no reason"),
    ("CO-45:150.00", "", "450.00", "200.00", None, None, R.UNKNOWN, "paid short, no code"),
    ("CO-999:450.00;CO-50:450.00", "", "450.00", "0.00", None, None, R.MEDICAL_NECESSITY, "known wins"),
]


@pytest.mark.parametrize(
    ("spec", "remarks", "billed", "paid", "allowed", "share", "route", "why"),
    ROWS,
    ids=[row[-1] for row in ROWS],
)
def test_the_route_of_each_notice(
    spec: str,
    remarks: str,
    billed: str | None,
    paid: str | None,
    allowed: str | None,
    share: str | None,
    route: TriageRoute,
    why: str,
) -> None:
    reading = triage(
        _lines(spec),
        [remarks] if remarks else [],
        billed=D(billed) if billed else None,
        paid=D(paid) if paid else None,
        allowed=D(allowed) if allowed else None,
        patient_share=D(share) if share else None,
    )
    assert reading.route is route, (why, reading)
    assert reading.explanation and reading.next_step and reading.action
    # Paid as expected is never an appeal; the others that are not appeals say so.
    if route in (R.PAID_AS_EXPECTED, R.CORRECTED_CLAIM, R.COORDINATION_OF_BENEFITS, R.DUPLICATE):
        assert not reading.appeal and "appeal" not in reading.action.lower()
    else:
        assert reading.appeal
    assert len(ROWS) >= 40


def test_the_patient_share_counts_from_pr_lines_and_stated_amounts() -> None:
    lines = _lines("CO-45:400.00;PR-1:50.00;PR-2:70.00")
    assert triage(lines, billed=D("1000.00"), paid=D("480.00")).patient_share == D("120.00")
    # Stated on the EOB as amounts, not lines: the same share (the larger of the two, never both).
    stated = triage(_lines("CO-45:400.00"), billed=D("1000.00"), paid=D("480.00"), patient_share=D("120.00"))
    assert stated.route is R.PAID_AS_EXPECTED and stated.patient_share == D("120.00")
    both = triage(lines, billed=D("1000.00"), paid=D("480.00"), patient_share=D("120.00"))
    assert both.patient_share == D("120.00")


@pytest.mark.parametrize(
    ("role", "filer", "bills"),
    [
        (UserRole.CLINIC, Filer.CLINIC, True),
        (UserRole.CLINIC, Filer.PATIENT, False),  # the patient filed with the superbill: paid at the visit
        (UserRole.PATIENT, Filer.CLINIC, False),  # the patient owes it: nothing to chase
        (UserRole.PATIENT, Filer.PATIENT, False),
        (None, Filer.CLINIC, True),
        (None, None, False),
    ],
)
def test_who_collects_the_patients_share(role: UserRole | None, filer: Filer | None, bills: bool) -> None:
    assert collects_share(role, filer) is bills
    reading = triage(
        _lines("CO-45:400.00;PR-2:120.00"),
        billed=D("1000.00"),
        paid=D("480.00"),
        context=TriageContext(role=role, filer=filer),
    )
    assert reading.bill_patient is bills
    if bills:
        assert reading.action == "Bill the patient their share: $120.00"
        assert reading.next_step.startswith("Bill the patient their share of $120.00")
    else:
        assert reading.action == "Nothing to chase" and "Nothing to chase" in reading.next_step
    if role is UserRole.PATIENT:
        assert "your own share" in reading.next_step


def _auth(number: str, start: date | None, end: date | None, status: str = "approved") -> PriorAuthInfo:
    return PriorAuthInfo(1, 1, 1, number, status, None, None, "G2083", 24, start, end)


def test_the_authorization_route_cites_the_authorization_on_file() -> None:
    on_file = _auth("PA-77", date(2026, 1, 1), date(2026, 12, 31))
    context = TriageContext(auths=(on_file,), service_dates=(date(2026, 3, 2),))
    reading = triage(_lines("CO-197:450.00"), context=context)
    assert reading.route is R.AUTHORIZATION and reading.authorization == on_file
    assert "PA-77" in reading.next_step and "2026-01-01 to 2026-12-31" in reading.next_step
    assert reading.action == "Appeal citing prior authorization PA-77"
    # Outside its dates, denied, or none at all: a retro-authorization first.
    for auths in ((_auth("PA-77", date(2026, 5, 1), None),), (_auth("PA-78", None, None, "denied"),), ()):
        other = triage(
            _lines("CO-197:450.00"), context=TriageContext(auths=auths, service_dates=(date(2026, 3, 2),))
        )
        assert other.authorization is None and "retro-authorization" in other.next_step
    assert authorization_on_file([on_file], []) == on_file


def test_what_is_missing_is_named() -> None:
    reading = triage(_lines("CO-16:450.00:M119 N350"))
    assert reading.missing == (
        "the drug's 11-digit NDC with its unit qualifier and quantity",
        "the drug's name, strength and dose for the unclassified code (J3490)",
    )
    assert "NDC" in reading.action and not reading.new_claim
    new = triage(_lines("CO-16:450.00:N290"), ["MA130"])
    assert (
        new.new_claim and new.action.startswith("Send a new claim") and "nothing to appeal" in new.next_step
    )
    bare = triage(_lines("CO-16:450.00"))
    assert bare.missing == ("the information the notice's remark codes name",)


def test_unknown_codes_are_said_plainly() -> None:
    reading = triage(_lines("CO-999:450.00:N999"))
    assert reading.unknown_codes == ("CO-999", "N999")
    assert "kettrack does not know the codes CO-999 and N999" in reading.explanation
    assert "general appeal rule" in reading.next_step
    known = triage(_lines("CO-50:450.00:N998"))
    assert known.route is R.MEDICAL_NECESSITY and known.unknown_codes == ("N998",)


def test_several_routes_keep_the_others_for_the_letter() -> None:
    reading = triage(_lines("CO-50:200.00;CO-55:250.00;CO-197:10.00"))
    assert reading.route is R.AUTHORIZATION
    assert reading.also == (R.EXPERIMENTAL, R.MEDICAL_NECESSITY)
    assert reading.disputed == D("460.00")


def test_the_users_own_words_win() -> None:
    reading = triage(
        _lines("CO-50:450.00"), context=TriageContext(words={("50", "carc"): "Our plan's words"})
    )
    assert "Our plan's words (CO-50)" in reading.explanation
    assert reading.readings[0].meaning == "Our plan's words"


def test_the_code_table_is_one_source_of_truth() -> None:
    assert len(table()) == len(CODES) >= 50
    assert STARTER_CARCS == {c.code: c.meaning for c in table() if c.kind == "carc"}
    assert STARTER_RARCS == {c.code: c.meaning for c in table() if c.kind == "rarc"}
    for code in table():
        # Meanings are neutral (a letter may quote them): no advice to the person in them.
        assert not any(word in code.meaning.lower() for word in ("appeal", "resubmit", "check ", "fix "))
        assert code.meaning[0].isupper() and len(code.meaning) <= 200
    assert set(PRECEDENCE) == set(TriageRoute)
    for carc in ("1", "2", "3", "16", "18", "22", "29", "45", "50", "55", "56", "167", "11", "197", "15"):
        assert (carc, "carc") in CODES
    for rarc in ("MA130", "M119", "M51", "M76", "N479", "N115", "N386"):
        assert (rarc, "rarc") in CODES
