"""Every repository against a real SQLite file and a real PostgreSQL database: add, get, list,
update, delete; references refused with field names; refused writes leave nothing behind; money and
doses round trip exactly; the infusions table's id list sorts and filters the same on both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kettrack.core.enums import (
    CoverageRank,
    Drug,
    PayerKind,
    PaymentMethod,
    ProviderKind,
    Relationship,
    Route,
    TreatmentKind,
    TreatmentOutcome,
    UserRole,
)
from kettrack.core.icd10 import Icd10Index
from kettrack.core.icd10_releases import Icd10Releases
from kettrack.core.problems import InvalidInput, NotFound
from kettrack.core.records import (
    Address,
    CoverageRecord,
    InfusionRecord,
    PatientRecord,
    PayerRecord,
    PaymentRecord,
    ProviderRecord,
    TreatmentRecord,
)
from kettrack.core.rows import InfusionFilter
from kettrack.services.workspace import Workspace
from kettrack.store import models
from kettrack.store.database import Database
from kettrack.store.infusions import SORT_KEYS

TODAY = date(2026, 11, 23)
TABLES = [
    models.Patient,
    models.Provider,
    models.Payer,
    models.Coverage,
    models.Treatment,
    models.Infusion,
    models.InfusionDiagnosis,
    models.Payment,
    models.AppSetting,
]


@pytest.fixture(params=["sqlite", "postgres"])
def ws(request: pytest.FixtureRequest, db_path: Path, icd10: Icd10Index) -> Iterator[Workspace]:
    location = str(db_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    workspace = Workspace(Database.open(location), today=lambda: TODAY)
    workspace._icd = Icd10Releases([icd10])
    yield workspace
    workspace.close()


def counts(ws: Workspace) -> dict[str, int]:
    with ws.db.reader() as session:
        return {
            m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in TABLES
        }


def _patient(ws: Workspace, name: str = "Ann Able", **kw: Any) -> PatientRecord:
    return ws.patients.add(PatientRecord(legal_name=name, date_of_birth=date(1980, 5, 1), **kw))


def _refused(field: str, message: str, call: Any, *args: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    assert any(message in m for m in caught.value.for_field(field)), caught.value.problems


# --- patients -----------------------------------------------------------------------------------


def test_patients_crud(ws: Workspace) -> None:
    added = _patient(
        ws,
        "  Bob Baker ",
        address=Address("1 Main St", "", "Springfield", "il", "62701"),
        phone="217 555 0100",
        email="bob@example.org",
    )
    assert added.id is not None and added.legal_name == "Bob Baker" and added.address.state == "IL"
    assert ws.patients.get(added.id) == added
    other = _patient(ws, "Ann Able")
    assert [p.legal_name for p in ws.patients.list()] == ["Ann Able", "Bob Baker"]
    assert [c.label for c in ws.patients.choices()] == ["Ann Able", "Bob Baker"]
    assert ws.patients.count() == 2
    updated = ws.patients.update(replace(added, legal_name="Robert Baker", email=""))
    assert ws.patients.get(added.id) == updated and updated.legal_name == "Robert Baker"
    ws.patients.delete(other.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        ws.patients.get(other.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        ws.patients.delete(other.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        ws.patients.update(replace(added, id=9999))
    _refused("id", "an id is needed", ws.patients.update, replace(added, id=None))


def test_patient_refused_update_changes_nothing(ws: Workspace) -> None:
    added = _patient(ws)
    before = counts(ws)
    _refused("legal_name", "contains a NUL character", ws.patients.update, replace(added, legal_name="A\x00"))
    _refused("legal_name", "invisible text-direction", ws.patients.add, PatientRecord(legal_name="x\u202e"))
    assert ws.patients.get(added.id) == added  # type: ignore[arg-type]
    assert counts(ws) == before


def test_stamps_are_utc_aware(ws: Workspace) -> None:
    added = _patient(ws)
    with ws.db.reader() as session:
        row = session.get(models.Patient, added.id)
        assert row is not None
        assert row.created_at.tzinfo is UTC and row.updated_at.tzinfo is UTC
        assert abs((row.updated_at - row.created_at).total_seconds()) < 60


# --- providers and clinics ----------------------------------------------------------------------


def test_providers_and_clinic_membership(ws: Workspace) -> None:
    clinic = ws.providers.add(
        ProviderRecord(name="Calm Clinic", kind=ProviderKind.ORGANIZATION, npi="1245319599", tin="123456789")
    )
    assert clinic.tin == "12-3456789"
    doctor = ws.providers.add(
        ProviderRecord(name="Grace Hopper", credentials="MD", npi="1234567893", clinic_id=clinic.id)
    )
    assert ws.providers.get(doctor.id) == doctor  # type: ignore[arg-type]
    assert [p.name for p in ws.providers.list_kind(ProviderKind.INDIVIDUAL)] == ["Grace Hopper"]
    assert [c.label for c in ws.providers.choices(ProviderKind.INDIVIDUAL)] == ["Grace Hopper, MD"]
    assert [c.label for c in ws.providers.choices(ProviderKind.ORGANIZATION)] == ["Calm Clinic"]
    # A clinic must be an organization that exists.
    _refused(
        "clinic_id",
        "there is no clinic with id",
        ws.providers.add,
        ProviderRecord(name="Other", clinic_id=doctor.id),
    )
    _refused(
        "clinic_id", "there is no clinic with id 9999", ws.providers.update, replace(doctor, clinic_id=9999)
    )
    # A clinic with members cannot be deleted.
    _refused("id", "1 provider in this clinic", ws.providers.delete, clinic.id)
    ws.providers.update(replace(doctor, clinic_id=None))
    ws.providers.delete(clinic.id)  # type: ignore[arg-type]
    assert [p.id for p in ws.providers.list()] == [doctor.id]


def test_provider_npi_refused(ws: Workspace) -> None:
    before = counts(ws)
    _refused("npi", "wrong check digit", ws.providers.add, ProviderRecord(name="X", npi="1234567890"))
    assert counts(ws) == before


# --- payers, coverages, treatments ----------------------------------------------------------------


def test_payers_coverages_and_references(ws: Workspace) -> None:
    patient = _patient(ws)
    payer = ws.payers.add(
        PayerRecord(name="Acme Health", kind=PayerKind.EMPLOYER_PLAN, claims_address="PO Box 1\r\nAnytown")
    )
    assert payer.claims_address == "PO Box 1\nAnytown"
    assert ws.payers.get(payer.id) == payer and [c.label for c in ws.payers.choices()] == ["Acme Health"]  # type: ignore[arg-type]
    coverage = ws.coverages.add(
        CoverageRecord(
            patient_id=patient.id,
            payer_id=payer.id,
            member_id=" M-1 ",
            relationship=Relationship.SPOUSE,  # type: ignore[arg-type]
            policyholder_name="Pat Able",
            policyholder_dob=date(1979, 1, 1),
            rank=CoverageRank.SECONDARY,
            effective_from=date(2026, 1, 1),
            effective_to=date(2026, 12, 31),
        )
    )
    assert coverage.member_id == "M-1" and ws.coverages.get(coverage.id) == coverage  # type: ignore[arg-type]
    assert ws.coverages.for_patient(patient.id) == [coverage]  # type: ignore[arg-type]
    before = counts(ws)
    _refused(
        "patient_id",
        "there is no patient with id 9999",
        ws.coverages.add,
        CoverageRecord(patient_id=9999, payer_id=payer.id, member_id="M"),
    )  # type: ignore[arg-type]
    _refused(
        "payer_id",
        "there is no payer with id 9999",
        ws.coverages.add,
        CoverageRecord(patient_id=patient.id, payer_id=9999, member_id="M"),
    )  # type: ignore[arg-type]
    _refused(
        "effective_to",
        "cannot end before it starts",
        ws.coverages.update,
        replace(coverage, effective_to=date(2025, 1, 1)),
    )
    _refused("id", "1 coverage", ws.payers.delete, payer.id)
    _refused("id", "1 coverage", ws.patients.delete, patient.id)
    assert counts(ws) == before and ws.coverages.get(coverage.id) == coverage  # type: ignore[arg-type]
    updated = ws.coverages.update(replace(coverage, relationship=Relationship.SELF, policyholder_name=""))
    assert ws.coverages.get(coverage.id) == updated  # type: ignore[arg-type]
    ws.coverages.delete(coverage.id)  # type: ignore[arg-type]
    ws.payers.delete(payer.id)  # type: ignore[arg-type]
    assert ws.payers.count() == 0 and ws.coverages.count() == 0


def test_treatments(ws: Workspace) -> None:
    patient = _patient(ws)
    tried = ws.treatments.add(
        TreatmentRecord(
            patient_id=patient.id,
            kind=TreatmentKind.MEDICATION,
            name="Sertraline",
            details="50-200 mg",  # type: ignore[arg-type]
            started_on=date(2020, 1, 1),
            ended_on=date(2021, 3, 1),
            outcome=TreatmentOutcome.NO_RESPONSE,
        )
    )
    assert ws.treatments.for_patient(patient.id) == [tried]  # type: ignore[arg-type]
    _refused(
        "patient_id",
        "there is no patient with id 777",
        ws.treatments.add,
        TreatmentRecord(patient_id=777, kind=TreatmentKind.TMS, name="TMS"),
    )
    _refused("id", "1 treatment-history entry", ws.patients.delete, patient.id)
    changed = ws.treatments.update(replace(tried, outcome=TreatmentOutcome.RELAPSE, notes="x\ny"))
    assert ws.treatments.get(tried.id) == changed  # type: ignore[arg-type]
    ws.treatments.delete(tried.id)  # type: ignore[arg-type]
    ws.patients.delete(patient.id)  # type: ignore[arg-type]
    assert counts(ws)["patients"] == 0


# --- infusions ----------------------------------------------------------------------------------


def _session(patient_id: int, **kw: Any) -> InfusionRecord:
    values: dict[str, Any] = {
        "patient_id": patient_id,
        "service_date": date(2026, 11, 2),
        "start_time": time(9, 0),
        "end_time": time(9, 55),
        "dose_mg": Decimal("35.5"),
        "weight_kg": Decimal("71.25"),
        "diagnoses": ("F33.1", "f4310"),
        "phq9_before": 20,
        "phq9_after": 9,
        "payments": (
            PaymentRecord(date(2026, 11, 2), Decimal("450.00"), PaymentMethod.HSA_FSA, "R-1"),
            PaymentRecord(date(2026, 11, 3), Decimal("0.01")),
        ),
    }
    values.update(kw)
    return InfusionRecord(**values)


def test_infusion_crud_with_diagnoses_and_payments(ws: Workspace) -> None:
    patient = _patient(ws)
    doctor = ws.providers.add(ProviderRecord(name="Grace Hopper", credentials="MD"))
    added = ws.infusions.add(_session(patient.id, provider_id=doctor.id))  # type: ignore[arg-type]
    assert added.diagnoses == ("F33.1", "F43.10") and added.duration_minutes == 55
    assert ws.infusions.get(added.id) == added  # type: ignore[arg-type]
    assert ws.infusions.get(added.id).amount_paid == Decimal("450.01")  # type: ignore[arg-type]
    assert counts(ws)["infusion_diagnoses"] == 2 and counts(ws)["payments"] == 2
    # Reorder, drop and add diagnoses; replace payments.
    changed = ws.infusions.update(
        replace(
            added,
            diagnoses=("F43.10", "F41.1", "F33.1"),
            payments=(PaymentRecord(date(2026, 11, 4), Decimal("20")),),
            start_time=None,
            end_time=None,
        )
    )
    assert ws.infusions.get(added.id) == changed  # type: ignore[arg-type]
    assert changed.diagnoses == ("F43.10", "F41.1", "F33.1") and changed.duration_minutes is None
    assert counts(ws)["infusion_diagnoses"] == 3 and counts(ws)["payments"] == 1
    row = ws.infusions.rows([added.id])[0]  # type: ignore[list-item]
    assert (row.diagnoses, row.amount_paid, row.provider_name) == (
        "F43.10, F41.1, F33.1",
        Decimal("20.00"),
        "Grace Hopper, MD",
    )
    assert ws.infusions.possible_duplicates(replace(added, id=None)) == [added.id]
    assert ws.infusions.possible_duplicates(added) == []
    _refused("id", "1 infusion session", ws.patients.delete, patient.id)
    _refused("id", "1 infusion session", ws.providers.delete, doctor.id)
    ws.infusions.delete(added.id)  # type: ignore[arg-type]
    assert (
        counts(ws)["infusions"] == 0 and counts(ws)["infusion_diagnoses"] == 0 and counts(ws)["payments"] == 0
    )
    with pytest.raises(NotFound):
        ws.infusions.get(added.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        ws.infusions.delete(added.id)  # type: ignore[arg-type]


def test_money_and_doses_round_trip_exactly(ws: Workspace) -> None:
    patient = _patient(ws)
    for amount, dose in [("999999.99", "1999.99"), ("0.01", "0.01"), ("123456.78", "12.3")]:
        added = ws.infusions.add(
            _session(
                patient.id,
                dose_mg=Decimal(dose),
                weight_kg=Decimal("499.99"),  # type: ignore[arg-type]
                payments=(PaymentRecord(date(2026, 11, 2), Decimal(amount)),),
            )
        )
        got = ws.infusions.get(added.id)  # type: ignore[arg-type]
        assert got.payments[0].amount == Decimal(amount) and isinstance(got.payments[0].amount, Decimal)
        assert str(got.payments[0].amount) == str(Decimal(amount).quantize(Decimal("0.01")))
        assert got.dose_mg == Decimal(dose) and got.weight_kg == Decimal("499.99")
        assert ws.infusions.rows([added.id])[0].amount_paid == Decimal(amount)  # type: ignore[list-item]


def test_infusion_references_refused_with_field_names(ws: Workspace) -> None:
    patient = _patient(ws)
    doctor = ws.providers.add(ProviderRecord(name="Grace Hopper"))
    before = counts(ws)
    _refused("patient_id", "there is no patient with id 4242", ws.infusions.add, _session(4242))
    _refused(
        "provider_id",
        "there is no provider with id 4242",
        ws.infusions.add,
        _session(patient.id, provider_id=4242),
    )  # type: ignore[arg-type]
    _refused(
        "clinic_id", "there is no clinic with id 4242", ws.infusions.add, _session(patient.id, clinic_id=4242)
    )  # type: ignore[arg-type]
    _refused("clinic_id", "is not a clinic", ws.infusions.add, _session(patient.id, clinic_id=doctor.id))  # type: ignore[arg-type]
    _refused(
        "diagnoses",
        "F43.1 is not a billable code",
        ws.infusions.add,
        _session(patient.id, diagnoses=("F43.1",)),
    )  # type: ignore[arg-type]
    _refused(
        "service_date",
        "is before the patient's birth",
        ws.infusions.add,
        _session(patient.id, service_date=date(1970, 1, 1)),
    )  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        ws.infusions.add_many([_session(patient.id), _session(patient.id, phq9_before=99)])  # type: ignore[arg-type]
    assert counts(ws) == before
    added = ws.infusions.add(_session(patient.id))  # type: ignore[arg-type]
    before = counts(ws)
    _refused(
        "payments[1].amount",
        "more than 2 decimal places",
        ws.infusions.update,
        replace(added, payments=(PaymentRecord(date(2026, 11, 2), Decimal("1.005")),), diagnoses=()),
    )
    assert counts(ws) == before and ws.infusions.get(added.id) == added  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        ws.infusions.update(replace(added, id=4242))
    _refused("id", "an id is needed", ws.infusions.update, replace(added, id=None))


# Seed for the table: (patient, provider, date, drug, route, dose, minutes, diagnoses, paid, notes)
SEED: list[tuple[str, str | None, date, Drug, Route, str | None, int | None, tuple[str, ...], str, str]] = [
    (
        "Ann Able",
        "Dr Alpha",
        date(2026, 1, 5),
        Drug.KETAMINE,
        Route.IV,
        "35.00",
        40,
        ("F33.1",),
        "450.00",
        "",
    ),
    (
        "Bob Baker",
        None,
        date(2026, 2, 1),
        Drug.ESKETAMINE,
        Route.INTRANASAL,
        "84.00",
        None,
        ("F32.A",),
        "0",
        "",
    ),
    ("Cal Cole", "Dr Beta", date(2026, 3, 9), Drug.KETAMINE, Route.IM, None, 55, (), "99.99", "tired after"),
    (
        "Ann Able",
        "Dr Beta",
        date(2026, 3, 9),
        Drug.KETAMINE,
        Route.IV,
        "50.50",
        70,
        ("F43.10", "F33.1"),
        "999999.99",
        "",
    ),
    (
        "Bob Baker",
        "Dr Alpha",
        date(2026, 6, 30),
        Drug.KETAMINE,
        Route.ORAL,
        "0.01",
        5,
        ("G89.29",),
        "0.01",
        "",
    ),
    (
        "Cal Cole",
        None,
        date(2026, 11, 23),
        Drug.ESKETAMINE,
        Route.INTRANASAL,
        "56.00",
        None,
        ("F33.9",),
        "12.00",
        "first esketamine",
    ),
]


@pytest.fixture
def table(ws: Workspace) -> tuple[Workspace, list[int], dict[str, int], dict[str, int]]:
    patients = {name: _patient(ws, name).id for name in ("Ann Able", "Bob Baker", "Cal Cole")}
    providers = {
        name: ws.providers.add(ProviderRecord(name=name, credentials="MD")).id
        for name in ("Dr Alpha", "Dr Beta")
    }
    ids = []
    for patient, provider, day, drug, route, dose, minutes, codes, paid, notes in SEED:
        payments = () if paid == "0" else (PaymentRecord(day, Decimal(paid)),)
        times = (time(10, 0), time(10 + minutes // 60, minutes % 60)) if minutes else (None, None)
        ids.append(
            ws.infusions.add(
                InfusionRecord(
                    patient_id=patients[patient],
                    provider_id=providers[provider] if provider else None,  # type: ignore[arg-type]
                    service_date=day,
                    drug=drug,
                    route=route,
                    dose_mg=Decimal(dose) if dose else None,
                    start_time=times[0],
                    end_time=times[1],
                    diagnoses=codes,
                    payments=payments,
                    notes=notes,
                )
            ).id
        )
    return ws, ids, patients, providers  # type: ignore[return-value]


def _expected_order(ids: list[int], sort: str, descending: bool) -> list[int]:
    def key(pair: tuple[int, Any]) -> tuple[Any, ...]:
        record_id, (patient, provider, day, drug, route, dose, minutes, codes, paid, _notes) = pair
        value: Any = {
            "date": day,
            "patient": patient,
            "provider": provider,
            "drug": drug.value,
            "route": route.value,
            "dose": Decimal(dose) if dose else None,
            "duration": minutes,
            "diagnoses": ", ".join(codes),
            "paid": Decimal(paid),
        }[sort]
        # Empty values sort first ascending, last descending, on every database.
        return (value is not None, value if value is not None else 0, record_id)

    ordered = [record_id for record_id, _ in sorted(zip(ids, SEED, strict=True), key=key)]
    return ordered[::-1] if descending else ordered


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_ids_sorted_by_every_key(table: Any, descending: bool) -> None:
    ws, ids, _, _ = table
    for sort in SORT_KEYS:
        assert ws.infusions.ids(sort=sort, descending=descending) == _expected_order(ids, sort, descending), (
            sort
        )
    with pytest.raises(ValueError):
        ws.infusions.ids(sort="color")


def test_rows_follow_the_ids_given(table: Any) -> None:
    ws, ids, patients, _ = table
    order = [ids[3], ids[0], 99999, ids[5]]
    rows = ws.infusions.rows(order)
    assert [r.id for r in rows] == [ids[3], ids[0], ids[5]]
    first = rows[0]
    assert (
        first.patient_name,
        first.provider_name,
        first.dose_mg,
        first.duration_minutes,
        first.diagnoses,
        first.amount_paid,
    ) == ("Ann Able", "Dr Beta, MD", Decimal("50.50"), 70, "F43.10, F33.1", Decimal("999999.99"))
    assert (
        rows[2].provider_name == "" and rows[2].drug is Drug.ESKETAMINE and rows[2].route is Route.INTRANASAL
    )
    assert ws.infusions.rows([]) == []


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (InfusionFilter(), [0, 1, 2, 3, 4, 5]),
        (InfusionFilter(date_from=date(2026, 3, 9)), [2, 3, 4, 5]),
        (InfusionFilter(date_to=date(2026, 3, 9)), [0, 1, 2, 3]),
        (InfusionFilter(date_from=date(2026, 3, 9), date_to=date(2026, 3, 9)), [2, 3]),
        (InfusionFilter(text="bob"), [1, 4]),  # patient name, any case
        (InfusionFilter(text="F33"), [0, 3, 5]),  # diagnosis codes
        (InfusionFilter(text="tired"), [2]),  # notes
        (InfusionFilter(text="esket"), [1, 5]),  # drug
        (InfusionFilter(text="beta"), [2, 3]),  # rendering provider
        (InfusionFilter(text="100%_"), []),  # wildcards are literal, not patterns
        (InfusionFilter(text="  "), [0, 1, 2, 3, 4, 5]),
    ],
    ids=[
        "all",
        "from",
        "to",
        "one-day",
        "patient",
        "code",
        "notes",
        "drug",
        "provider",
        "wildcards",
        "blank",
    ],
)
def test_ids_filtered(table: Any, flt: InfusionFilter, expected: list[int]) -> None:
    ws, ids, _, _ = table
    assert ws.infusions.ids(flt, sort="date", descending=False) == sorted(
        (ids[i] for i in expected), key=lambda i: (SEED[ids.index(i)][2], i)
    )


def test_filter_by_patient_combines_with_text(table: Any) -> None:
    ws, ids, patients, _ = table
    assert set(ws.infusions.ids(InfusionFilter(patient_id=patients["Ann Able"]))) == {ids[0], ids[3]}
    assert ws.infusions.ids(InfusionFilter(patient_id=patients["Ann Able"], text="F43")) == [ids[3]]
    assert [r.id for r in ws.infusions.list(InfusionFilter(patient_id=patients["Cal Cole"]))] == [
        ids[2],
        ids[5],
    ]
    assert ws.infusions.count() == 6


# --- settings -----------------------------------------------------------------------------------


def test_settings(ws: Workspace) -> None:
    settings = ws.settings
    assert settings.get("missing") is None and settings.role() is None and not settings.first_run_done()
    settings.set_role(UserRole.CLINIC)
    settings.mark_first_run_done()
    assert settings.role() is UserRole.CLINIC and settings.first_run_done()
    settings.set_role(UserRole.PATIENT)
    assert settings.role() is UserRole.PATIENT
    settings.set("user_role", "nonsense")
    assert settings.role() is None
    assert counts(ws)["app_settings"] == 2


def test_text_search_folds_unicode_case_and_takes_wildcards_literally(ws: Workspace) -> None:
    asa = _patient(ws, "Åsa Öberg")
    other = _patient(ws, "Percy Under_score")
    first = ws.infusions.add(_session(asa.id, notes="paid 100% upfront"))  # type: ignore[arg-type]
    second = ws.infusions.add(_session(other.id, service_date=date(2026, 11, 3)))  # type: ignore[arg-type]
    assert ws.infusions.ids(InfusionFilter(text="åsa öBERG")) == [first.id]
    assert ws.infusions.ids(InfusionFilter(text="100%")) == [first.id]
    assert ws.infusions.ids(InfusionFilter(text="0% u")) == [first.id]
    assert ws.infusions.ids(InfusionFilter(text="r_s")) == [second.id]
    assert ws.infusions.ids(InfusionFilter(text="%")) == [first.id]
    assert ws.infusions.ids(InfusionFilter(text="_")) == [second.id]
    assert ws.infusions.ids(InfusionFilter(text="\\")) == []


def test_clinic_with_members_or_sessions_stays_an_organization(ws: Workspace) -> None:
    clinic = ws.providers.add(ProviderRecord(name="Calm Clinic", kind=ProviderKind.ORGANIZATION))
    member = ws.providers.add(ProviderRecord(name="Grace Hopper", clinic_id=clinic.id))
    as_person = replace(clinic, kind=ProviderKind.INDIVIDUAL)
    _refused("kind", "this clinic still has 1 member", ws.providers.update, as_person)
    ws.providers.update(replace(member, clinic_id=None))
    patient = _patient(ws)
    ws.infusions.add(_session(patient.id, clinic_id=clinic.id))  # type: ignore[arg-type]
    _refused("kind", "this clinic still has 1 session", ws.providers.update, as_person)
    assert ws.providers.get(clinic.id).kind is ProviderKind.ORGANIZATION  # type: ignore[arg-type]
    lonely = ws.providers.add(ProviderRecord(name="Empty Clinic", kind=ProviderKind.ORGANIZATION))
    assert ws.providers.update(replace(lonely, kind=ProviderKind.INDIVIDUAL)).kind is ProviderKind.INDIVIDUAL


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ångström-Łukasiewicz",
        "李小龍",
        "Renée 👩🏽‍⚕️ O'Brien",  # emoji with skin tone and zero-width joiner
        "e\u0301tienne",  # combining accent, kept as typed
        "𝔄" * 200,  # 200 astral characters: the column limit counts characters, not bytes
        "Robert'); DROP TABLE patients;--",
    ],
    ids=["latin", "cjk", "emoji", "combining", "astral-200", "sql"],
)
def test_unusual_but_valid_names_round_trip(ws: Workspace, name: str) -> None:
    added = ws.patients.add(PatientRecord(legal_name=name, address=Address(city=name[:100])))
    assert ws.patients.get(added.id).legal_name == name  # type: ignore[arg-type]
    assert ws.patients.get(added.id).address.city == name[:100]  # type: ignore[arg-type]


def test_treatment_history_order_is_the_same_on_every_database(ws: Workspace) -> None:
    patient = _patient(ws)
    names = []
    for name, started in [("Later", date(2022, 1, 1)), ("Undated", None), ("Earlier", date(2019, 6, 1))]:
        ws.treatments.add(
            TreatmentRecord(
                patient_id=patient.id,
                kind=TreatmentKind.OTHER,
                name=name,  # type: ignore[arg-type]
                started_on=started,
            )
        )
        names.append(name)
    assert [t.name for t in ws.treatments.for_patient(patient.id)] == ["Undated", "Earlier", "Later"]  # type: ignore[arg-type]
