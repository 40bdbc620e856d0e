"""The edit forms of the people-and-plans records: which fields a patient, provider or clinic, payer,
coverage and treatment has, as ``FieldSpec``s (the People dialogs show them all; the first-run
assistant asks for the few that matter first)."""

from __future__ import annotations

from kettrack.core.enums import (
    CoverageRank,
    Network,
    PayerKind,
    ProviderKind,
    Relationship,
    Sex,
    TreatmentKind,
    TreatmentOutcome,
)
from kettrack.services.workspace import Workspace
from kettrack.ui.forms import (
    CheckField,
    ChoiceField,
    EnumField,
    FieldSpec,
    MultilineField,
    OptionalDateField,
    TextField,
    tr,
)


def _address_specs() -> list[FieldSpec]:
    return [
        FieldSpec("address.line1", tr("Address:"), TextField),
        FieldSpec("address.line2", tr("Address line 2:"), TextField),
        FieldSpec("address.city", tr("City:"), TextField),
        FieldSpec("address.state", tr("State:"), lambda: TextField("NY")),
        FieldSpec("address.postal_code", tr("ZIP code:"), TextField),
    ]


def patient_specs(ws: Workspace, *, full: bool = True) -> list[FieldSpec]:
    specs = [
        FieldSpec("legal_name", tr("Legal name:"), lambda: TextField(tr("exactly as on the insurance card"))),
        FieldSpec("date_of_birth", tr("Date of birth:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("sex", tr("Sex:"), lambda: EnumField(Sex)),
    ]
    if full:
        specs += [*_address_specs(), FieldSpec("phone", tr("Phone:"), TextField)]
        specs.append(FieldSpec("email", tr("E-mail:"), TextField))
        specs += _rems_specs(ws)
    return specs


def _rems_specs(ws: Workspace) -> list[FieldSpec]:
    """The patient's Spravato (esketamine) REMS enrolment, which must come before the first session."""
    return [
        FieldSpec("rems_enrolled", tr("Spravato REMS:"), lambda: CheckField(tr("Enrolled"))),
        FieldSpec("rems_enrolled_on", tr("REMS enrolment date:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("rems_id", tr("REMS ID:"), lambda: TextField(tr("if the REMS gave one"))),
    ]


def provider_specs(ws: Workspace, *, full: bool = True) -> list[FieldSpec]:
    specs = [
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(ProviderKind)),
        FieldSpec("name", tr("Name:"), TextField),
        FieldSpec("credentials", tr("Credentials:"), lambda: TextField("MD, DO, CRNA ...")),
        FieldSpec("npi", tr("NPI:"), lambda: TextField(tr("10 digits"))),
        FieldSpec("tin", tr("TIN / EIN:"), lambda: TextField("12-3456789")),
        FieldSpec("taxonomy", tr("Taxonomy:"), lambda: TextField("2084P0800X")),
    ]
    if full:
        specs += [
            FieldSpec("license_number", tr("License number:"), TextField),
            FieldSpec("license_state", tr("License state:"), TextField),
            FieldSpec(
                "clinic_id",
                tr("Clinic:"),
                lambda: ChoiceField(
                    lambda: ws.providers.choices(ProviderKind.ORGANIZATION), none_label=tr("(none)")
                ),
            ),
            *_address_specs(),
            FieldSpec("phone", tr("Phone:"), TextField),
        ]
    return specs


def payer_specs(ws: Workspace, *, full: bool = True) -> list[FieldSpec]:
    specs = [
        FieldSpec("name", tr("Payer name:"), TextField),
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(PayerKind)),
    ]
    if full:
        specs += [
            FieldSpec("payer_code", tr("Payer ID:"), TextField),
            FieldSpec("phone", tr("Phone:"), TextField),
            FieldSpec("claims_address", tr("Claims address:"), MultilineField),
            FieldSpec("appeals_address", tr("Appeals address:"), MultilineField),
        ]
    return specs


def coverage_specs(ws: Workspace, *, with_people: bool = True) -> list[FieldSpec]:
    specs: list[FieldSpec] = []
    if with_people:
        specs += [
            FieldSpec("patient_id", tr("Patient:"), lambda: ChoiceField(ws.patients.choices)),
            FieldSpec("payer_id", tr("Payer:"), lambda: ChoiceField(ws.payers.choices)),
        ]
    specs += [
        FieldSpec("member_id", tr("Member ID:"), TextField),
        FieldSpec("group_number", tr("Group number:"), TextField),
        FieldSpec("relationship", tr("Patient is the policyholder's:"), lambda: EnumField(Relationship)),
        FieldSpec("policyholder_name", tr("Policyholder name:"), TextField),
        FieldSpec("policyholder_dob", tr("Policyholder birth date:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("rank", tr("Rank:"), lambda: EnumField(CoverageRank)),
    ]
    if with_people:
        specs += [
            FieldSpec("effective_from", tr("Effective from:"), lambda: OptionalDateField(ws.today)),
            FieldSpec("effective_to", tr("Effective to:"), lambda: OptionalDateField(ws.today)),
            FieldSpec("network", tr("Network:"), lambda: EnumField(Network)),
        ]
    return specs


def treatment_specs(ws: Workspace) -> list[FieldSpec]:
    return [
        FieldSpec("patient_id", tr("Patient:"), lambda: ChoiceField(ws.patients.choices)),
        FieldSpec("kind", tr("Kind:"), lambda: EnumField(TreatmentKind)),
        FieldSpec("name", tr("Treatment:"), lambda: TextField(tr("e.g. sertraline, CBT"))),
        FieldSpec("details", tr("Details:"), MultilineField),
        FieldSpec("started_on", tr("Started:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("ended_on", tr("Ended:"), lambda: OptionalDateField(ws.today)),
        FieldSpec("outcome", tr("Outcome:"), lambda: EnumField(TreatmentOutcome)),
        FieldSpec("notes", tr("Notes:"), MultilineField),
    ]
