"""Plain, frozen records that cross every layer boundary: the store returns them, the GUI and the
command line show and edit them. No ORM object ever leaves the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal

from kettrack.core.enums import (
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
)


@dataclass(frozen=True)
class Address:
    """A postal address; every part may be blank while the record is incomplete."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""

    def lines(self) -> list[str]:
        city_line = " ".join(
            p for p in (f"{self.city}," if self.city else "", self.state, self.postal_code) if p
        )
        return [line for line in (self.line1, self.line2, city_line.strip(" ,")) if line]

    def one_line(self) -> str:
        return ", ".join(self.lines())


@dataclass(frozen=True)
class PatientRecord:
    """A person who receives infusions; the name must match the insurance card.

    ``rems_*``: the patient's enrolment in the Spravato (esketamine) REMS, which must come before the
    first esketamine session (rules in ``kettrack.core.rems``).
    """

    legal_name: str
    date_of_birth: date | None = None
    sex: Sex = Sex.UNKNOWN
    address: Address = field(default_factory=Address)
    phone: str = ""
    email: str = ""
    rems_enrolled: bool = False
    rems_enrolled_on: date | None = None
    rems_id: str = ""
    id: int | None = None


@dataclass(frozen=True)
class ProviderRecord:
    """A rendering clinician (individual) or a clinic (organization)."""

    name: str
    kind: ProviderKind = ProviderKind.INDIVIDUAL
    credentials: str = ""
    npi: str = ""
    tin: str = ""
    taxonomy: str = ""
    license_number: str = ""
    license_state: str = ""
    address: Address = field(default_factory=Address)
    phone: str = ""
    clinic_id: int | None = None
    id: int | None = None

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


@dataclass(frozen=True)
class PayerRecord:
    """An insurance payer (plan sponsor) with the addresses claims and appeals go to."""

    name: str
    kind: PayerKind = PayerKind.COMMERCIAL
    payer_code: str = ""
    phone: str = ""
    claims_address: str = ""
    appeals_address: str = ""
    id: int | None = None


@dataclass(frozen=True)
class CoverageRecord:
    """A patient's membership in a payer's plan."""

    patient_id: int
    payer_id: int
    member_id: str
    group_number: str = ""
    relationship: Relationship = Relationship.SELF
    policyholder_name: str = ""
    policyholder_dob: date | None = None
    rank: CoverageRank = CoverageRank.PRIMARY
    effective_from: date | None = None
    effective_to: date | None = None
    network: Network = Network.UNKNOWN
    id: int | None = None


@dataclass(frozen=True)
class TreatmentRecord:
    """An earlier treatment the patient tried; appeals cite these as failed alternatives."""

    patient_id: int
    kind: TreatmentKind
    name: str
    details: str = ""
    started_on: date | None = None
    ended_on: date | None = None
    outcome: TreatmentOutcome = TreatmentOutcome.OTHER
    notes: str = ""
    id: int | None = None


@dataclass(frozen=True)
class PaymentRecord:
    """Money the person paid for a session: the proof of payment a superbill lists."""

    paid_on: date
    amount: Decimal
    method: PaymentMethod = PaymentMethod.CARD
    reference: str = ""


@dataclass(frozen=True)
class InfusionRecord:
    """One treatment session: what was given, to whom, by whom, and how the person felt."""

    patient_id: int
    service_date: date
    drug: Drug = Drug.KETAMINE
    route: Route = Route.IV
    provider_id: int | None = None
    clinic_id: int | None = None
    start_time: time | None = None
    end_time: time | None = None
    place_of_service: str = "11"
    dose_mg: Decimal | None = None
    weight_kg: Decimal | None = None
    diagnoses: tuple[str, ...] = ()
    phq9_before: int | None = None
    phq9_after: int | None = None
    gad7_before: int | None = None
    gad7_after: int | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    side_effects: str = ""
    notes: str = ""
    payments: tuple[PaymentRecord, ...] = ()
    # When the Spravato REMS Patient Monitoring Form for this session was sent (None: not yet). Set
    # only through its own use case (``kettrack.services.rems``): editing a session keeps it.
    rems_form_sent_on: date | None = None
    id: int | None = None

    @property
    def dose_mg_per_kg(self) -> Decimal | None:
        if self.dose_mg is None or not self.weight_kg:
            return None
        return (self.dose_mg / self.weight_kg).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)

    @property
    def duration_minutes(self) -> int | None:
        if self.start_time is None or self.end_time is None:
            return None
        start = self.start_time.hour * 60 + self.start_time.minute
        end = self.end_time.hour * 60 + self.end_time.minute
        return end - start

    @property
    def amount_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))
