"""SQLAlchemy 2 typed models. Every constraint is named (SQLite batch migrations need names);
relationships raise on lazy load so an accidental query from outside the store fails in tests.

One module per part of the records: ``base`` (the declarative base and what the models share),
``app_settings``, ``people``, ``sessions``, ``billing``, ``code_sets`` (loaded ICD-10-CM releases),
``claims``, ``letters`` (letter drafts, issued letters, the evidence library) and ``safety`` (the audit
log, its seals and the documents). Every model is importable from here, as ``alembic/env.py`` imports
``Base``.
"""

from __future__ import annotations

from kettrack.store.models.app_settings import AppSetting
from kettrack.store.models.base import NAMING_CONVENTION, Base
from kettrack.store.models.billing import (
    FeeScheduleEntry,
    IssuedSuperbill,
    ProcedureCodeEntry,
    ServiceLine,
    SuperbillAuthorization,
    SuperbillLine,
)
from kettrack.store.models.claims import (
    AppealLetterEntry,
    Claim,
    ClaimAdjustmentEntry,
    ClaimAttachment,
    ClaimAuthorization,
    ClaimEventEntry,
    ClaimLineEntry,
    PayerRuleOverride,
    PriorAuthorization,
    ReasonCodeEntry,
)
from kettrack.store.models.code_sets import Icd10Release, Icd10ReleaseCode
from kettrack.store.models.letters import EvidenceReferenceEntry, IssuedLetterEntry, LetterDraftEntry
from kettrack.store.models.people import Coverage, Patient, Payer, Provider, Treatment
from kettrack.store.models.safety import AuditLogEntry, AuditSeal, Document
from kettrack.store.models.sessions import Infusion, InfusionDiagnosis, Payment

__all__ = [
    "NAMING_CONVENTION",
    "AppSetting",
    "AppealLetterEntry",
    "AuditLogEntry",
    "AuditSeal",
    "Base",
    "Claim",
    "ClaimAdjustmentEntry",
    "ClaimAttachment",
    "ClaimAuthorization",
    "ClaimEventEntry",
    "ClaimLineEntry",
    "Coverage",
    "Document",
    "EvidenceReferenceEntry",
    "FeeScheduleEntry",
    "Icd10Release",
    "Icd10ReleaseCode",
    "Infusion",
    "InfusionDiagnosis",
    "IssuedLetterEntry",
    "IssuedSuperbill",
    "LetterDraftEntry",
    "Patient",
    "Payer",
    "PayerRuleOverride",
    "Payment",
    "PriorAuthorization",
    "ProcedureCodeEntry",
    "Provider",
    "ReasonCodeEntry",
    "ServiceLine",
    "SuperbillAuthorization",
    "SuperbillLine",
    "Treatment",
]
