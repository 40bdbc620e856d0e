"""Fast bulk seeding for benchmarks: realistic rows written with executemany, bypassing the per-record
validation the app applies (the rows are valid by construction)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from kettrack.core.enums import Drug, PayerKind, PaymentMethod, ProviderKind, Route, Sex
from kettrack.store.database import Database
from kettrack.store.models import Infusion, InfusionDiagnosis, Patient, Payer, Payment, Provider

DIAGNOSES = ["F33.2", "F33.1", "F43.10", "F41.1", "F32.2", "G89.29", "M79.7"]


def seed(path: Path, infusions: int, patients: int = 200, seed_value: int = 7) -> Path:
    rng = random.Random(seed_value)
    db = Database.open(path)
    now = datetime.now(UTC)
    stamp = {"created_at": now, "updated_at": now}
    address = {"address_line1": "", "address_line2": "", "city": "", "state": "", "postal_code": ""}
    with db.session() as session:
        session.execute(
            insert(Provider),
            [
                {
                    "id": 1,
                    "kind": ProviderKind.ORGANIZATION,
                    "name": "Bench Clinic",
                    "npi": "1234567893",
                    "credentials": "",
                    "tin": "",
                    "taxonomy": "",
                    "license_number": "",
                    "license_state": "",
                    "phone": "",
                    "clinic_id": None,
                    **address,
                    **stamp,
                },
                {
                    "id": 2,
                    "kind": ProviderKind.INDIVIDUAL,
                    "name": "Dana Reyes",
                    "credentials": "MD",
                    "npi": "",
                    "tin": "",
                    "taxonomy": "",
                    "license_number": "",
                    "license_state": "",
                    "phone": "",
                    "clinic_id": 1,
                    **address,
                    **stamp,
                },
            ],
        )
        session.execute(
            insert(Payer),
            [
                {
                    "id": 1,
                    "name": "Bench Health",
                    "kind": PayerKind.COMMERCIAL,
                    "payer_code": "",
                    "phone": "",
                    "claims_address": "",
                    "appeals_address": "",
                    **stamp,
                }
            ],
        )
        session.execute(
            insert(Patient),
            [
                {
                    "id": i,
                    "legal_name": f"Patient {i:04d}",
                    "date_of_birth": date(1960 + i % 40, 1 + i % 12, 1),
                    "sex": Sex.UNKNOWN,
                    "phone": "",
                    "email": "",
                    **address,
                    **stamp,
                }
                for i in range(1, patients + 1)
            ],
        )
        rows, diagnoses, payments = [], [], []
        first = date(2018, 1, 1)
        for i in range(1, infusions + 1):
            start = time(8 + i % 9, 0)
            minutes = 40 + rng.randrange(0, 60)
            end = (datetime.combine(first, start) + timedelta(minutes=minutes)).time()
            code = DIAGNOSES[i % len(DIAGNOSES)]
            rows.append(
                {
                    "id": i,
                    "patient_id": 1 + i % patients,
                    "provider_id": 2,
                    "clinic_id": 1,
                    "service_date": first + timedelta(days=rng.randrange(0, 3000)),
                    "start_time": start,
                    "end_time": end,
                    "duration_minutes": minutes,
                    "place_of_service": "11",
                    "drug": Drug.KETAMINE if i % 4 else Drug.ESKETAMINE,
                    "route": Route.IV if i % 4 else Route.INTRANASAL,
                    "dose_mg": Decimal(35 + i % 30),
                    "weight_kg": Decimal("70.5"),
                    "phq9_before": 18,
                    "phq9_after": 9,
                    "gad7_before": None,
                    "gad7_after": None,
                    "pain_before": None,
                    "pain_after": None,
                    "side_effects": "",
                    "notes": "",
                    "diagnosis_summary": code,
                    "amount_paid": Decimal("450.00"),
                    **stamp,
                }
            )
            diagnoses.append({"infusion_id": i, "position": 0, "code": code})
            payments.append(
                {
                    "infusion_id": i,
                    "paid_on": rows[-1]["service_date"],
                    "amount": Decimal("450.00"),
                    "method": PaymentMethod.CARD,
                    "reference": "",
                }
            )
            if len(rows) == 10_000:
                session.execute(insert(Infusion), rows)
                session.execute(insert(InfusionDiagnosis), diagnoses)
                session.execute(insert(Payment), payments)
                rows, diagnoses, payments = [], [], []
        if rows:
            session.execute(insert(Infusion), rows)
            session.execute(insert(InfusionDiagnosis), diagnoses)
            session.execute(insert(Payment), payments)
    db.close()
    return path
