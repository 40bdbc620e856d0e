"""The demo data set: a fictional ketamine clinic with two clinicians, two payers, two patients with
their coverage and treatment history, and a few months of sessions ending shortly before today.

Everything goes through the repositories, so the demo set passes the same validation as typed-in
data. It is deterministic: the same "today" gives the same records (a seeded random generator picks
the small variations). Names, addresses, phone numbers (555-01xx) and member ids are made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from kettrack.core.claims import NewPriorAuth
from kettrack.core.enums import (
    AuthStatus,
    CoverageRank,
    Drug,
    Network,
    PayerKind,
    PaymentMethod,
    ProviderKind,
    Relationship,
    Route,
    Sex,
    TreatmentKind,
    TreatmentOutcome,
    UserRole,
)
from kettrack.core.line_rules import ContainerType
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
from kettrack.services.transfer import refuse_if_not_empty
from kettrack.services.workspace import Workspace

SEED = 20261123
IV_FEE = Decimal("450.00")
# Medicare patients pay their 20% coinsurance, not the clinic's cash price.
MEDICARE_COINSURANCE = Decimal("58.40")

# A made-up clinic address; the NPIs below pass the CMS check-digit rule but belong to no one we know of.
_CLINIC_ADDRESS = Address("2150 Larkspur Commons Drive", "Suite 310", "Fernhollow", "NC", "27999")


@dataclass(frozen=True)
class DemoSummary:
    """What the demo set created, with the ids a walkthrough or a test can refer to."""

    clinic_id: int
    provider_ids: tuple[int, ...]
    payer_ids: tuple[int, ...]
    patient_ids: tuple[int, ...]
    coverages: int
    treatments: int
    infusions: int
    claims: int = 0

    def describe(self) -> str:
        return (
            f"{len(self.provider_ids)} providers (1 clinic), {len(self.payer_ids)} payers, "
            f"{len(self.patient_ids)} patients, {self.coverages} coverages, {self.treatments} treatments, "
            f"{self.infusions} infusion sessions, {self.claims} claims"
        )


def _at(start: time, minutes: int) -> time:
    return (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)).time()


def _ketamine_series(
    rng: random.Random, patient_id: int, provider_id: int, clinic_id: int, today: date
) -> list[InfusionRecord]:
    """IV racemic ketamine: six infusions in about two and a half weeks, then boosters every 3-5 weeks."""
    induction = [0, 2, 4, 7, 9, 16]
    boosters = [induction[-1]]
    for _ in range(4):
        boosters.append(boosters[-1] + rng.choice([21, 24, 28, 31, 35]))
    offsets = induction + boosters[1:]
    # The last booster lands three days before today.
    first = today - timedelta(days=offsets[-1] + 3)
    phq9 = [20, 18, 16, 14, 13, 11, 11, 10, 9, 8]
    gad7 = [15, 14, 13, 11, 10, 9, 9, 8, 8, 7]
    side_effects = [
        "Mild dissociation, resolved within 20 minutes of the end of the infusion.",
        "Transient nausea; ondansetron 4 mg IV given.",
        "Blood pressure peaked at 148/92, back to baseline before discharge.",
        "",
    ]
    sessions: list[InfusionRecord] = []
    for number, offset in enumerate(offsets):
        service_date = first + timedelta(days=offset)
        weight = Decimal("68.4") + Decimal(rng.randrange(-6, 7)) / 10
        dose = (weight * Decimal("0.5")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        start = time(rng.choice([9, 10, 13, 14]), rng.choice([0, 15, 30]))
        minutes = rng.randrange(40, 56)
        induction_note = f"Induction infusion {number + 1} of 6." if number < 6 else "Maintenance booster."
        payments: tuple[PaymentRecord, ...] = (
            PaymentRecord(service_date, IV_FEE, PaymentMethod.CARD, f"VISA-{4821 + number}"),
        )
        if number == 3:
            # A session paid in two parts, as happens with an HSA card limit: both are proof of payment.
            payments = (
                PaymentRecord(service_date, Decimal("300.00"), PaymentMethod.HSA_FSA, "HSA-0193"),
                PaymentRecord(
                    service_date + timedelta(days=1), Decimal("150.00"), PaymentMethod.CARD, "VISA-4830"
                ),
            )
        sessions.append(
            InfusionRecord(
                patient_id=patient_id,
                service_date=service_date,
                drug=Drug.KETAMINE,
                route=Route.IV,
                provider_id=provider_id,
                clinic_id=clinic_id,
                start_time=start,
                end_time=_at(start, minutes),
                place_of_service="11",
                dose_mg=dose,
                weight_kg=weight,
                diagnoses=("F33.2", "F41.1"),
                phq9_before=phq9[number],
                phq9_after=max(phq9[number] - rng.randrange(2, 5), 0),
                gad7_before=gad7[number],
                gad7_after=max(gad7[number] - rng.randrange(1, 4), 0),
                side_effects=side_effects[rng.randrange(len(side_effects))],
                notes=f"{induction_note} 0.5 mg/kg over {minutes} minutes.",
                payments=payments,
            )
        )
    return sessions


def _rems_paperwork(ws: Workspace, patient_id: int, first_session: date) -> None:
    """Harold is enrolled in the Spravato REMS a week before his first esketamine session, and each
    session's Patient Monitoring Form was sent the next day, but for the newest (still due this week)."""
    from dataclasses import replace

    from kettrack.services import rems

    patient = ws.patients.get(patient_id)
    enrolled_on = first_session - timedelta(days=7)
    ws.patients.update(replace(patient, rems_enrolled=True, rems_enrolled_on=enrolled_on))
    owed = [s for s in rems.forms(ws).open_forms() if s.patient_id == patient_id]
    for session in owed[:-1]:
        rems.record_form_sent(ws, session.session_id, session.service_date + timedelta(days=1))


def _esketamine_sessions(
    rng: random.Random, patient_id: int, provider_id: int, clinic_id: int, today: date
) -> list[InfusionRecord]:
    """Intranasal esketamine: twice weekly for 4 weeks, weekly for 4 weeks, then every 1-2 weeks."""
    offsets = [0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49]
    for _ in range(4):
        offsets.append(offsets[-1] + rng.choice([7, 14]))
    first = today - timedelta(days=offsets[-1] + 5)
    sessions: list[InfusionRecord] = []
    for number, offset in enumerate(offsets):
        service_date = first + timedelta(days=offset)
        dose = Decimal("56") if number < 4 else Decimal("84")
        before = max(21 - number, 10)
        start = time(10, 0) if number % 2 == 0 else time(13, 30)
        # Two hours of observation after the dose, as the REMS program requires.
        end = _at(start, 120 + rng.choice([0, 5, 10]))
        payments = (
            (PaymentRecord(service_date, MEDICARE_COINSURANCE, PaymentMethod.CHECK, f"CHK {1040 + number}"),)
            if number % 3 == 0
            else ()
        )
        sessions.append(
            InfusionRecord(
                patient_id=patient_id,
                service_date=service_date,
                drug=Drug.ESKETAMINE,
                route=Route.INTRANASAL,
                provider_id=provider_id,
                clinic_id=clinic_id,
                start_time=start,
                end_time=end,
                place_of_service="11",
                dose_mg=dose,
                diagnoses=("F33.2",),
                phq9_before=before,
                phq9_after=max(before - rng.randrange(1, 3), 0),
                side_effects="Sedation and mild dizziness, resolved during observation."
                if number < 3
                else "",
                notes=f"Esketamine {dose} mg ({int(dose) // 28} devices); observed 2 hours; driven home.",
                payments=payments,
            )
        )
    return sessions


DEMO_AUTH_NUMBER = "PA-2026-118734"
SINGLE_DOSE = ContainerType.SINGLE_DOSE
DEMO_FEES: tuple[tuple[str, str, str, ContainerType | None], ...] = (
    ("96365", "385.00", "", None),
    ("96366", "120.00", "", None),
    ("96374", "150.00", "", None),
    ("96372", "95.00", "", None),
    # Ketamine from single-dose vials (Medicare Part B would want JW/JZ on the line).
    ("J3490", "65.00", "12345-0678-10", SINGLE_DOSE),
    ("G2082", "520.00", "", None),
    ("G2083", "690.00", "", None),
    # Spravato kits: the line's NDC follows the dose (56 mg kit -02, 84 mg kit -03).
    ("J0013", "8.75", "50458-0028-02", SINGLE_DOSE),
    ("S0013", "8.75", "50458-0028-02", SINGLE_DOSE),
    ("99214", "210.00", "", None),
    ("90833", "95.00", "", None),
)


def fill_demo(ws: Workspace, *, claims: bool = True) -> DemoSummary:
    """Create the demo set in an empty database; raises ``DatabaseNotEmpty`` if it holds records.

    ``claims`` False leaves out the superbills and claims (to try billing from a clean slate)."""
    with ws.db.reader() as session:
        # Fictional records beside real ones could end up on a real claim: only an empty database.
        refuse_if_not_empty(session, "the demo set")
    rng = random.Random(SEED)
    today = ws.today()

    clinic = ws.providers.add(
        ProviderRecord(
            name="Fernhollow Ketamine & Mood Clinic",
            kind=ProviderKind.ORGANIZATION,
            npi="1043528714",
            tin="12-3456789",
            taxonomy="261QM0801X",
            address=_CLINIC_ADDRESS,
            phone="(919) 555-0142",
        )
    )
    assert clinic.id is not None
    psychiatrist = ws.providers.add(
        ProviderRecord(
            name="Miriam Okonkwo-Hale",
            credentials="MD",
            npi="1987654328",
            taxonomy="2084P0800X",
            license_number="2011-03478",
            license_state="NC",
            address=_CLINIC_ADDRESS,
            phone="(919) 555-0143",
            clinic_id=clinic.id,
        )
    )
    anesthetist = ws.providers.add(
        ProviderRecord(
            name="Tobias Renfrew",
            credentials="CRNA",
            npi="1567890128",
            taxonomy="367500000X",
            license_number="RN-884210",
            license_state="NC",
            address=_CLINIC_ADDRESS,
            phone="(919) 555-0144",
            clinic_id=clinic.id,
        )
    )
    # The clinic's fee schedule: charges per unit, and the NDCs its drug lines carry (fictional NDCs).
    for code, amount, ndc, container in DEMO_FEES:
        ws.fees.set_fee(clinic.id, code, amount, ndc, container)
    commercial = ws.payers.add(
        PayerRecord(
            name="Blue Ridge Health Plan",
            kind=PayerKind.COMMERCIAL,
            payer_code="BRHP1",
            phone="1-800-555-0199",
            claims_address="Blue Ridge Health Plan\nMember Claims\nPO Box 44100\nFernhollow, NC 27999",
            appeals_address=(
                "Blue Ridge Health Plan\nAppeals and Grievances\nPO Box 44120\nFernhollow, NC 27999"
            ),
        )
    )
    medicare = ws.payers.add(
        PayerRecord(
            name="Original Medicare (Part B)",
            kind=PayerKind.ORIGINAL_MEDICARE,
            phone="1-800-633-4227",
            # A fictional contractor: letters print this address, so it must read as one (the real
            # redetermination address is on each Medicare Summary Notice).
            claims_address=(
                "Demo Medicare Administrative Contractor\nPart B Claims\nPO Box 100300\nColumbia, SC 29202"
            ),
            appeals_address=(
                "Demo Medicare Administrative Contractor\nPart B Redeterminations\nPO Box 100310\n"
                "Columbia, SC 29202"
            ),
        )
    )
    assert psychiatrist.id is not None and anesthetist.id is not None
    assert commercial.id is not None and medicare.id is not None

    avery = ws.patients.add(
        PatientRecord(
            legal_name="Avery J. Lindqvist",
            date_of_birth=date(1984, 5, 17),
            sex=Sex.FEMALE,
            address=Address("88 Quillfeather Lane", "Apt 4B", "Fernhollow", "NC", "27999"),
            phone="(919) 555-0171",
            email="avery.lindqvist@example.com",
        )
    )
    harold = ws.patients.add(
        PatientRecord(
            legal_name="Harold B. Kemperman",
            date_of_birth=date(1952, 9, 3),
            sex=Sex.MALE,
            address=Address("1207 Old Mill Pond Road", "", "Ashgrove", "NC", "27998"),
            phone="(919) 555-0186",
        )
    )
    assert avery.id is not None and harold.id is not None

    coverages = [
        CoverageRecord(
            patient_id=avery.id,
            payer_id=commercial.id,
            member_id="BRH884512307",
            group_number="GRP-20417",
            relationship=Relationship.SELF,
            rank=CoverageRank.PRIMARY,
            effective_from=date(2025, 1, 1),
            network=Network.OUT_OF_NETWORK,
        ),
        CoverageRecord(
            patient_id=harold.id,
            payer_id=medicare.id,
            member_id="1EG4TE5MK73",  # CMS's published example MBI, not a real beneficiary
            relationship=Relationship.SELF,
            rank=CoverageRank.PRIMARY,
            effective_from=date(2017, 10, 1),
            network=Network.IN_NETWORK,
        ),
    ]
    for coverage in coverages:
        ws.coverages.add(coverage)

    med, therapy = TreatmentKind.MEDICATION, TreatmentKind.PSYCHOTHERAPY
    none, partial = TreatmentOutcome.NO_RESPONSE, TreatmentOutcome.PARTIAL_RESPONSE
    treatments = [
        TreatmentRecord(
            avery.id, med, "Sertraline", "50 mg titrated to 200 mg daily",
            date(2019, 3, 4), date(2020, 1, 20), none, "PHQ-9 unchanged at 19-21 after 10 months.",
        ),
        TreatmentRecord(
            avery.id, med, "Bupropion XL", "150 mg, then 300 mg daily",
            date(2020, 2, 3), date(2021, 6, 14), partial, "Energy improved; mood and anhedonia did not.",
        ),
        TreatmentRecord(
            avery.id, med, "Venlafaxine XR", "75 mg to 225 mg daily",
            date(2021, 7, 6), date(2021, 10, 11), TreatmentOutcome.INTOLERABLE_SIDE_EFFECTS,
            "Stopped for persistent nausea and a rise in blood pressure.",
        ),
        TreatmentRecord(
            avery.id, therapy, "Cognitive behavioural therapy", "16 weekly sessions",
            date(2022, 1, 10), date(2022, 5, 2), partial, "",
        ),
        TreatmentRecord(
            avery.id, TreatmentKind.TMS, "Repetitive TMS (left DLPFC)", "36 sessions over 7 weeks",
            date(2023, 3, 6), date(2023, 4, 21), TreatmentOutcome.RELAPSE,
            "Brief improvement; symptoms back within 3 months.",
        ),
        TreatmentRecord(
            harold.id, med, "Escitalopram", "10-20 mg daily",
            date(2018, 2, 12), date(2019, 1, 7), none, "",
        ),
        TreatmentRecord(
            harold.id, med, "Duloxetine", "60 mg daily",
            date(2019, 2, 4), date(2019, 5, 27), TreatmentOutcome.INTOLERABLE_SIDE_EFFECTS,
            "Dizziness and falls risk at his age.",
        ),
        TreatmentRecord(
            harold.id, med, "Mirtazapine with aripiprazole augmentation", "30 mg + 5 mg daily",
            date(2019, 7, 1), date(2021, 3, 15), partial, "",
        ),
        TreatmentRecord(
            harold.id, therapy, "Interpersonal psychotherapy", "20 sessions",
            date(2022, 4, 4), date(2022, 9, 19), partial, "",
        ),
    ]  # fmt: skip
    for treatment in treatments:
        ws.treatments.add(treatment)

    sessions = _ketamine_series(rng, avery.id, anesthetist.id, clinic.id, today)
    sessions += _esketamine_sessions(rng, harold.id, psychiatrist.id, clinic.id, today)
    sessions.sort(key=lambda s: (s.service_date, s.patient_id))
    ws.infusions.add_many(sessions)

    # Esketamine needs prior authorization; Harold's runs out soon. Added before the superbills, which
    # print it (and pass it on to the claims made from them).
    harold_sessions = sorted((s for s in sessions if s.patient_id == harold.id), key=lambda s: s.service_date)
    _rems_paperwork(ws, harold.id, harold_sessions[0].service_date)
    medicare_coverage = ws.coverages.for_patient(harold.id)[0].id
    assert medicare_coverage is not None
    ws.auths.add_auth(
        NewPriorAuth(
            coverage_id=medicare_coverage,
            status=AuthStatus.APPROVED,
            auth_number=DEMO_AUTH_NUMBER,
            requested_on=harold_sessions[0].service_date - timedelta(days=14),
            decided_on=harold_sessions[0].service_date - timedelta(days=5),
            codes="G2083 G2082",
            units=24,
            valid_from=harold_sessions[0].service_date,
            valid_to=today + timedelta(days=18),
        )
    )

    from kettrack.services.demo_claims import fill_demo_claims

    claim_count = fill_demo_claims(ws, (avery.id, harold.id)) if claims else 0
    if ws.settings.role() is None:
        ws.settings.set_role(UserRole.CLINIC)
    if not ws.settings.first_run_done():
        ws.settings.mark_first_run_done()
    return DemoSummary(
        clinic_id=clinic.id,
        provider_ids=(clinic.id, psychiatrist.id, anesthetist.id),
        payer_ids=(commercial.id, medicare.id),
        patient_ids=(avery.id, harold.id),
        coverages=len(coverages),
        treatments=len(treatments),
        infusions=len(sessions),
        claims=claim_count,
    )
