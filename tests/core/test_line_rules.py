"""Table tests for the line rules (kettrack.core.line_rules), as proposed and as pre-flight problems.

Sources (billing reference): POS 02/10 never fits drug or infusion lines; 15 minutes or less is a push
(96374), 96366 only beyond 90 minutes in all; Medicare esketamine (CGS J15): G2082/G2083 without a
J-code line, KX, REMS site and ZIP in item 19; J0013 units match the kit (Priority Health edit:
50458-0028-02 = 56 mg, -03 = 84 mg); JW/JZ on Medicare Part B single-dose drug lines, never both, not on
G2082/G2083; NDC units F2, GR, ME, ML, UN; a payer's documented S0013/J0013 override; 42 CFR 447.45(d)
is a ceiling, so the Medicaid filing default is unconfirmed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from decimal import Decimal

import pytest

from kettrack.core.codes import CodeCatalog
from kettrack.core.default_rules import DEFAULT_RULES
from kettrack.core.enums import Drug, PayerKind, Route
from kettrack.core.line_rules import (
    BillingContext,
    ContainerType,
    SessionFacts,
    check_lines,
    usual_place,
    usual_place_problem,
)
from kettrack.core.payer_rules import RuleOverrides
from kettrack.core.records import (
    Address,
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    ProviderRecord,
)
from kettrack.core.service_lines import ServiceLine, context_for, propose_lines
from kettrack.core.superbill import Diagnosis, RecordKind, Superbill, preflight

CATALOG = CodeCatalog()
MEDICARE, COMMERCIAL = PayerKind.ORIGINAL_MEDICARE, PayerKind.COMMERCIAL
SINGLE, MULTI = ContainerType.SINGLE_DOSE, ContainerType.MULTI_DOSE
DAY = date(2026, 3, 2)
KETAMINE_NDC = "12345-0678-10"
KIT_56, KIT_84 = "50458-0028-02", "50458-0028-03"


def _line(
    code: str, units: int = 1, *, pos: str = "11", mods: tuple[str, ...] = (), ndc: str = "", **kw: object
) -> ServiceLine:
    extra: dict[str, object] = {"ndc_unit": "UN", "ndc_quantity": Decimal(1)} if ndc else {}
    extra.update(kw)
    return ServiceLine(DAY, pos, code, "", units, Decimal("10.00"), mods, "A", ndc, infusion_id=1, **extra)  # type: ignore[arg-type]


IV = SessionFacts(Drug.KETAMINE, Route.IV, 60)
ESK = SessionFacts(Drug.ESKETAMINE, Route.INTRANASAL, 125, Decimal(56))
ESK84 = SessionFacts(Drug.ESKETAMINE, Route.INTRANASAL, 125, Decimal(84))


def _ctx(kind: PayerKind | None = COMMERCIAL, **kw: object) -> BillingContext:
    return context_for(CATALOG, BillingContext(payer_kind=kind, **kw))  # type: ignore[arg-type]


# lines, session facts, payer context, expected (field, words in the message) or None for no problem
RULES = [
    # Place of service
    ([_line("96365", pos="02")], IV, _ctx(), ("place_of_service", "telehealth")),
    ([_line("96365", pos="10")], IV, _ctx(), ("place_of_service", "telehealth")),
    ([_line("J3490", pos="10", ndc=KETAMINE_NDC)], IV, _ctx(), ("place_of_service", "in person")),
    ([_line("G2082", pos="02", mods=("KX",))], ESK, _ctx(MEDICARE), ("place_of_service", "telehealth")),
    ([_line("96365", pos="11")], IV, _ctx(), None),
    ([_line("96365", pos="49")], IV, _ctx(), None),
    ([_line("99214", pos="10")], IV, _ctx(), None),  # a visit may be telehealth
    # IV timing
    ([_line("96365")], replace(IV, minutes=15), _ctx(), ("code", "96374")),
    ([_line("96365")], replace(IV, minutes=10), _ctx(), ("code", "IV push")),
    ([_line("96365")], replace(IV, minutes=16), _ctx(), None),
    ([_line("96374")], replace(IV, minutes=15), _ctx(), None),
    ([_line("96374")], replace(IV, minutes=40), _ctx(), ("code", "96365")),
    ([_line("96365"), _line("96366")], replace(IV, minutes=90), _ctx(), ("code", "beyond 90 minutes")),
    ([_line("96365"), _line("96366")], replace(IV, minutes=91), _ctx(), None),
    ([_line("96365"), _line("96366", 2)], replace(IV, minutes=120), _ctx(), ("units", "1 unit")),
    ([_line("96365"), _line("96366", 2)], replace(IV, minutes=151), _ctx(), None),
    ([_line("96365")], replace(IV, minutes=None), _ctx(), None),  # no times: nothing to say
    # Medicare esketamine
    ([_line("G2082", mods=("KX",))], ESK, _ctx(MEDICARE), None),
    ([_line("G2082")], ESK, _ctx(MEDICARE), ("modifiers", "KX")),
    (
        [_line("G2082", mods=("KX",)), _line("J0013", 56, ndc=KIT_56)],
        ESK,
        _ctx(MEDICARE),
        ("code", "no J0013"),
    ),
    (
        [_line("G2083", mods=("KX",)), _line("S0013", 84, ndc=KIT_84)],
        ESK84,
        _ctx(MEDICARE),
        ("code", "no S0013"),
    ),
    ([_line("G2082", mods=("KX",)), _line("99417")], ESK, _ctx(MEDICARE), ("code", "prolonged")),
    ([_line("G2082", mods=("KX",)), _line("G2212")], ESK, _ctx(MEDICARE), ("code", "prolonged")),
    ([_line("G2082", mods=("KX",))], ESK84, _ctx(MEDICARE), ("code", "G2083")),
    ([_line("G2083", mods=("KX",))], ESK, _ctx(MEDICARE), ("code", "G2082")),
    ([_line("G2082", mods=("KX", "JZ"))], ESK, _ctx(MEDICARE), ("modifiers", "JW/JZ do not go")),
    ([_line("G2082"), _line("J0013", 56, ndc=KIT_56)], ESK, _ctx(PayerKind.MEDICARE_ADVANTAGE), None),
    # Other payers: J0013 units follow the kit
    ([_line("G2082"), _line("J0013", 56, ndc=KIT_56)], ESK, _ctx(), None),
    ([_line("G2083"), _line("J0013", 84, ndc=KIT_84)], ESK84, _ctx(), None),
    ([_line("G2082"), _line("J0013", 84, ndc=KIT_56)], ESK, _ctx(), ("units", "56 mg kit")),
    ([_line("G2083"), _line("J0013", 56, ndc=KIT_84)], ESK84, _ctx(), ("units", "84 mg kit")),
    ([_line("G2083"), _line("J0013", 84, ndc=KIT_56)], ESK84, _ctx(), ("units", "must be 56")),
    ([_line("G2083"), _line("J0013", 56, ndc=KIT_56)], ESK84, _ctx(), ("ndc", KIT_84)),
    # JW/JZ on Medicare Part B drug lines from single-dose containers
    (
        [_line("J3490", ndc=KETAMINE_NDC, mods=("JZ",))],
        IV,
        _ctx(MEDICARE, containers={KETAMINE_NDC: SINGLE}),
        None,
    ),
    (
        [_line("J3490", ndc=KETAMINE_NDC, mods=("JW",))],
        IV,
        _ctx(MEDICARE, containers={KETAMINE_NDC: SINGLE}),
        None,
    ),
    (
        [_line("J3490", ndc=KETAMINE_NDC)],
        IV,
        _ctx(MEDICARE, containers={KETAMINE_NDC: SINGLE}),
        ("modifiers", "JZ"),
    ),
    (
        [_line("J3490", ndc=KETAMINE_NDC, mods=("JW", "JZ"))],
        IV,
        _ctx(MEDICARE, containers={KETAMINE_NDC: SINGLE}),
        ("modifiers", "never"),
    ),
    ([_line("J3490", ndc=KETAMINE_NDC, mods=("JW", "JZ"))], IV, _ctx(), ("modifiers", "never")),
    ([_line("J3490", ndc=KETAMINE_NDC)], IV, _ctx(MEDICARE, containers={KETAMINE_NDC: MULTI}), None),
    (
        [_line("J3490", ndc=KETAMINE_NDC, mods=("JZ",))],
        IV,
        _ctx(MEDICARE, containers={KETAMINE_NDC: MULTI}),
        ("modifiers", "multi-dose"),
    ),
    ([_line("J3490", ndc=KETAMINE_NDC)], IV, _ctx(MEDICARE), ("container", "single-dose or multi-dose")),
    ([_line("J3490", ndc=KETAMINE_NDC)], IV, _ctx(COMMERCIAL, containers={KETAMINE_NDC: SINGLE}), None),
    # NDC quantity units
    *[
        ([_line("J3490", ndc=KETAMINE_NDC, ndc_unit=u)], IV, _ctx(), None)
        for u in ("F2", "GR", "ME", "ML", "UN")
    ],
    ([_line("J3490", ndc=KETAMINE_NDC, ndc_unit="MG")], IV, _ctx(), ("ndc_unit", "F2, GR, ME, ML, UN")),
    ([_line("J3490", ndc=KETAMINE_NDC, ndc_quantity=None)], IV, _ctx(), ("ndc_quantity", "quantity")),
    # A payer's code override
    (
        [_line("G2082"), _line("J0013", 56, ndc=KIT_56)],
        ESK,
        _ctx(code_overrides={"J0013": "S0013"}),
        ("code", "takes S0013"),
    ),
    ([_line("G2082"), _line("S0013", 56, ndc=KIT_56)], ESK, _ctx(code_overrides={"J0013": "S0013"}), None),
]


@pytest.mark.parametrize(("lines", "facts", "context", "expected"), RULES)
def test_line_rules(
    lines: list[ServiceLine], facts: SessionFacts, context: BillingContext, expected: tuple[str, str] | None
) -> None:
    found = check_lines(lines, {1: facts}, context)
    if expected is None:
        assert found == []
        return
    field, words = expected
    assert any(p.field == field and words in p.message for p in found), found


@pytest.mark.parametrize(
    ("setting", "usual"), [(None, "11"), ("", "11"), ("49", "49"), ("02", "11"), ("10", "11"), ("x1", "11")]
)
def test_usual_place_is_never_telehealth(setting: str | None, usual: str) -> None:
    assert usual_place(setting) == usual


@pytest.mark.parametrize(
    ("text", "refused"), [("11", False), ("49", False), ("02", True), ("10", True), ("1", True)]
)
def test_usual_place_setting(text: str, refused: bool) -> None:
    assert (usual_place_problem(text) is not None) == refused


def _session(drug: Drug = Drug.ESKETAMINE, **kw: object) -> InfusionRecord:
    base: dict[str, object] = {
        "patient_id": 1,
        "service_date": DAY,
        "drug": drug,
        "route": Route.INTRANASAL if drug is Drug.ESKETAMINE else Route.IV,
        "diagnoses": ("F33.2",),
        "id": 1,
    }
    base.update(kw)
    return InfusionRecord(**base)  # type: ignore[arg-type]


FEES = {"G2082": Decimal(500), "G2083": Decimal(600), "J0013": Decimal("8.75"), "S0013": Decimal("8.75")}
FEES |= {"96365": Decimal(385), "96374": Decimal(150), "J3490": Decimal(65)}


@pytest.mark.parametrize(
    ("dose", "kind", "overrides", "expected"),
    [
        (Decimal(56), MEDICARE, {}, [("G2082", 1, ("KX",), "")]),
        (Decimal(84), MEDICARE, {}, [("G2083", 1, ("KX",), "")]),
        (Decimal(56), COMMERCIAL, {}, [("G2082", 1, (), ""), ("J0013", 56, (), KIT_56)]),
        (Decimal(84), COMMERCIAL, {}, [("G2083", 1, (), ""), ("J0013", 84, (), KIT_84)]),
        (Decimal(84), COMMERCIAL, {"J0013": "S0013"}, [("G2083", 1, (), ""), ("S0013", 84, (), KIT_84)]),
    ],
)
def test_esketamine_proposals_follow_the_payer(
    dose: Decimal,
    kind: PayerKind,
    overrides: dict[str, str],
    expected: list[tuple[str, int, tuple[str, ...], str]],
) -> None:
    context = BillingContext(payer_kind=kind, code_overrides=overrides)
    proposal = propose_lines(_session(dose_mg=dose), FEES, CATALOG, ndcs={"J0013": KIT_56}, context=context)
    assert [(ln.code, ln.units, ln.modifiers, ln.ndc) for ln in proposal.lines] == expected
    assert (
        check_lines(
            proposal.lines,
            {1: SessionFacts(Drug.ESKETAMINE, Route.INTRANASAL, None, dose)},
            _ctx(kind, code_overrides=overrides),
        )
        == []
    )


def test_a_telehealth_session_is_proposed_at_the_usual_place() -> None:
    session = _session(
        Drug.KETAMINE, place_of_service="10", dose_mg=Decimal(35), start_time=time(9), end_time=time(9, 50)
    )
    proposal = propose_lines(
        session, FEES, CATALOG, ndcs={"J3490": KETAMINE_NDC}, context=BillingContext(usual_place="49")
    )
    assert {ln.place_of_service for ln in proposal.lines} == {"49"}
    assert any("telehealth" in w for w in proposal.warnings)


def test_medicare_single_dose_ketamine_is_proposed_with_jz() -> None:
    session = _session(Drug.KETAMINE, dose_mg=Decimal(35), start_time=time(9), end_time=time(9, 50))
    context = BillingContext(payer_kind=MEDICARE, containers={KETAMINE_NDC: SINGLE})
    proposal = propose_lines(session, FEES, CATALOG, ndcs={"J3490": KETAMINE_NDC}, context=context)
    assert [(ln.code, ln.modifiers) for ln in proposal.lines] == [("96365", ()), ("J3490", ("JZ",))]


# --- pre-flight: each problem names its record and field, and the command that fixes it ------------

CLINIC = ProviderRecord(
    name="Clinic",
    npi="1043528714",
    tin="12-3456789",
    address=Address("1 Main St", "", "Town", "NC", "27999"),
    phone="(919) 555-0142",
    id=7,
)
PROVIDER = replace(CLINIC, name="Dr A", credentials="MD", npi="1987654328", tin="", id=8)
PATIENT = PatientRecord(
    legal_name="P", date_of_birth=date(1950, 1, 1), address=Address("2 Elm", "", "Town", "NC", "27999"), id=3
)
MEDICARE_PAYER = PayerRecord(name="Medicare", kind=MEDICARE, id=2)
COVERAGE = CoverageRecord(patient_id=3, payer_id=2, member_id="1EG4TE5MK73", id=4)


def _bill(lines: tuple[ServiceLine, ...], facts: SessionFacts = ESK, **kw: object) -> Superbill:
    base: dict[str, object] = {
        "statement_number": "SB-1",
        "issued_on": DAY,
        "provider": PROVIDER,
        "patient": PATIENT,
        "lines": lines,
        "diagnoses": (Diagnosis("F33.2", ""),),
        "clinic": CLINIC,
        "coverage": COVERAGE,
        "payer": MEDICARE_PAYER,
        "billing": BillingContext(payer_kind=MEDICARE),
        "sessions": {1: facts},
    }
    base.update(kw)
    return Superbill(**base)  # type: ignore[arg-type]


def test_preflight_problems_name_the_record_field_and_fix() -> None:
    bill = _bill((_line("G2082", pos="10"), _line("J0013", 56, ndc=KIT_56)))
    found = preflight(bill, None, CATALOG)
    by_field = {(p.record, p.field): p for p in found}
    pos = by_field[(RecordKind.LINE, "place_of_service")]
    assert pos.record_id == 1 and pos.message.startswith("Line 1 (G2082, 2026-03-02): place of service 10")
    assert pos.fix == "kettrack lines set --session 1 --code G2082 --pos 11"
    kx = by_field[(RecordKind.LINE, "modifiers")]
    assert kx.fix == "kettrack lines set --session 1 --code G2082 --modifier KX"
    drug = next(p for p in found if "no J0013" in p.message)
    assert drug.fix == "kettrack lines remove --session 1 --code J0013"
    assert str(drug) == drug.message  # the words stay what they were


def test_preflight_names_people_records_and_the_container_fee() -> None:
    bill = _bill(
        (_line("96365"), _line("J3490", ndc=KETAMINE_NDC)),
        IV,
        provider=replace(PROVIDER, npi=""),
        patient=replace(PATIENT, date_of_birth=None),
    )
    found = preflight(bill, None, CATALOG)
    npi = next(p for p in found if p.message == "Provider NPI is missing")
    assert (npi.record, npi.record_id, npi.field) == (RecordKind.PROVIDER, 8, "npi")
    assert npi.fix == npi.how_to_fix() == "kettrack providers edit 8 --npi NPI"
    assert npi.where == "People › Providers & clinics"  # where the window opens it
    dob = next(p for p in found if p.field == "date_of_birth")
    assert (dob.record, dob.record_id) == (RecordKind.PATIENT, 3)
    assert dob.fix == "kettrack patients edit 3 --dob YYYY-MM-DD"
    container = next(p for p in found if p.field == "container")
    assert (container.record, container.record_id) == (RecordKind.FEE, 7)
    assert container.fix == (
        "kettrack fees set --provider 7 --code J3490 --ndc 12345-0678-10 --container single-dose"
    )


def test_medicare_esketamine_needs_the_rems_site_zip() -> None:
    no_zip = replace(CLINIC, address=replace(CLINIC.address, postal_code=""))
    found = preflight(_bill((_line("G2082", mods=("KX",)),), clinic=no_zip), None, CATALOG)
    assert [(p.record, p.field) for p in found] == [(RecordKind.PROVIDER, "address.postal_code")]
    assert preflight(_bill((_line("G2082", mods=("KX",)),)), None, CATALOG) == []


def test_a_payer_override_lets_the_retired_code_through() -> None:
    day = date(2026, 2, 1)
    lines = (
        replace(_line("G2082"), service_date=day),
        replace(_line("S0013", 56, ndc=KIT_56), service_date=day),
    )
    commercial = BillingContext(payer_kind=COMMERCIAL)
    refused = preflight(_bill(lines, billing=commercial), None, CATALOG)
    assert any("S0013 was retired" in p.message for p in refused)
    allowed = BillingContext(payer_kind=COMMERCIAL, code_overrides={"J0013": "S0013"})
    assert preflight(_bill(lines, billing=allowed), None, CATALOG) == []


def test_code_overrides_round_trip_in_the_payer_rules() -> None:
    overrides = RuleOverrides(code_overrides={"J0013": "S0013"})
    assert RuleOverrides.from_json(overrides.to_json()) == overrides
    assert "code_overrides" not in RuleOverrides().to_json()  # files saved before stay as they were


@pytest.mark.parametrize("kind", [PayerKind.MEDICAID, PayerKind.MEDICAID_MANAGED_CARE])
def test_the_medicaid_filing_default_is_unconfirmed(kind: PayerKind) -> None:
    rules = DEFAULT_RULES[kind]
    assert not rules.confirmed and "states allow less" in rules.filing_source
