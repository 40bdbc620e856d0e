"""Closed vocabularies of the domain, each with the words shown to a person."""

from __future__ import annotations

from enum import StrEnum


class LabeledEnum(StrEnum):
    """A string enum whose members carry a human label."""

    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value.replace("_", " ").capitalize())

    @classmethod
    def parse(cls, text: str) -> LabeledEnum:
        """Accept the stored value or the label, case-insensitively."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            if key in (member.value, member.label.lower().replace("-", "_").replace(" ", "_")):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"{text!r} is not one of: {choices}")


class UserRole(LabeledEnum):
    """Who uses this database: a person tracking their own claims or a clinic's billing desk."""

    PATIENT = "patient"
    CLINIC = "clinic"


class Sex(LabeledEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class PayerKind(LabeledEnum):
    """Kinds of payer; each kind has its own filing and appeal rules."""

    ORIGINAL_MEDICARE = "original_medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    MEDICAID_MANAGED_CARE = "medicaid_managed_care"
    VA_COMMUNITY_CARE = "va_community_care"
    TRICARE = "tricare"
    COMMERCIAL = "commercial"
    EMPLOYER_PLAN = "employer_plan"
    OTHER = "other"


class ProviderKind(LabeledEnum):
    INDIVIDUAL = "individual"
    ORGANIZATION = "organization"


class Relationship(LabeledEnum):
    """The patient's relationship to the policyholder."""

    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class CoverageRank(LabeledEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class Network(LabeledEnum):
    IN_NETWORK = "in_network"
    OUT_OF_NETWORK = "out_of_network"
    UNKNOWN = "unknown"


class Drug(LabeledEnum):
    KETAMINE = "ketamine"
    ESKETAMINE = "esketamine"


class Route(LabeledEnum):
    IV = "iv"
    IM = "im"
    INTRANASAL = "intranasal"
    ORAL = "oral"


class PaymentMethod(LabeledEnum):
    CARD = "card"
    CASH = "cash"
    CHECK = "check"
    HSA_FSA = "hsa_fsa"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class TreatmentKind(LabeledEnum):
    """Kinds of earlier treatment an appeal cites as tried and failed."""

    MEDICATION = "medication"
    PSYCHOTHERAPY = "psychotherapy"
    TMS = "tms"
    ECT = "ect"
    OTHER = "other"


class TreatmentOutcome(LabeledEnum):
    NO_RESPONSE = "no_response"
    PARTIAL_RESPONSE = "partial_response"
    INTOLERABLE_SIDE_EFFECTS = "intolerable_side_effects"
    RELAPSE = "relapse"
    ONGOING = "ongoing"
    OTHER = "other"


_LABELS: dict[StrEnum, str] = {
    UserRole.PATIENT: "A patient tracking my own claims",
    UserRole.CLINIC: "A clinic billing desk",
    PayerKind.ORIGINAL_MEDICARE: "Original Medicare",
    PayerKind.MEDICARE_ADVANTAGE: "Medicare Advantage",
    PayerKind.MEDICAID: "Medicaid",
    PayerKind.MEDICAID_MANAGED_CARE: "Medicaid managed care",
    PayerKind.VA_COMMUNITY_CARE: "VA Community Care",
    PayerKind.TRICARE: "TRICARE",
    PayerKind.COMMERCIAL: "Commercial plan",
    PayerKind.EMPLOYER_PLAN: "Employer plan",
    Network.IN_NETWORK: "In network",
    Network.OUT_OF_NETWORK: "Out of network",
    Drug.KETAMINE: "Ketamine (racemic)",
    Drug.ESKETAMINE: "Esketamine (Spravato)",
    Route.IV: "IV",
    Route.IM: "IM",
    Route.INTRANASAL: "Intranasal",
    Route.ORAL: "Oral",
    PaymentMethod.HSA_FSA: "HSA/FSA card",
    TreatmentKind.TMS: "TMS",
    TreatmentKind.ECT: "ECT",
}

# CMS place-of-service codes a ketamine practice uses (public list); others can be typed in.
PLACES_OF_SERVICE: dict[str, str] = {
    "02": "Telehealth, not in the patient's home",
    "10": "Telehealth in the patient's home",
    "11": "Office",
    "19": "Off-campus outpatient hospital",
    "22": "On-campus outpatient hospital",
    "49": "Independent clinic",
}


class AuthStatus(LabeledEnum):
    """Where a prior authorization request stands."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
