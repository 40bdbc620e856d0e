"""Record commands: list and add patients, providers (clinicians and clinics), payers, coverages (a
patient's plan membership) and treatment history. ``add`` prints the new record's id.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import (
    DatabaseOptions,
    Values,
    WithWorkspace,
    action_group,
    command_maker,
    enum_choices,
    iso,
    print_list,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


def _address(args: argparse.Namespace) -> Any:
    from kettrack.core.records import Address

    return Address(
        args.address_line1 or "",
        args.address_line2 or "",
        args.city or "",
        args.state or "",
        args.postal_code or "",
    )


def _patient_filter(args: argparse.Namespace) -> int | None:
    v = Values()
    patient_id = v.record_id(args.patient, "patient_id")
    v.done()
    return patient_id


# --- patients ------------------------------------------------------------------------------------


def _rems_text(enrolled: bool, on: Any) -> str:
    """The patient list's Spravato REMS column: "enrolled 2026-01-05", "enrolled", or blank."""
    return f"enrolled {iso(on)}".strip() if enrolled else ""


def patients_list(ws: Workspace, args: argparse.Namespace) -> int:
    records = ws.patients.list()
    return print_list(
        args,
        records,
        ["ID", "Name", "Born", "Sex", "Phone", "City", "State", "REMS"],
        lambda p: [
            p.id,
            p.legal_name,
            iso(p.date_of_birth),
            p.sex.value,
            p.phone,
            p.address.city,
            p.address.state,
            _rems_text(p.rems_enrolled, p.rems_enrolled_on),
        ],
        "patients",
        right=[0],
    )


def _yes_no(v: Values, text: str, field: str) -> bool | None:
    answer = text.strip().lower()
    if answer in ("yes", "y", "true"):
        return True
    if answer in ("no", "n", "false"):
        return False
    v.add(field, f"{text!r}: write yes or no")
    return None


def patients_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import Sex
    from kettrack.core.records import PatientRecord

    v = Values()
    record = PatientRecord(
        legal_name=args.name,
        date_of_birth=v.day(args.dob, "date_of_birth"),
        sex=v.choice(Sex, args.sex, "sex", Sex.UNKNOWN),
        address=_address(args),
        phone=args.phone or "",
        email=args.email or "",
        rems_enrolled_on=v.day(args.rems_enrolled_on, "rems_enrolled_on"),
        rems_id=args.rems_id or "",
    )
    v.done()
    # An enrolment date or REMS ID says the patient is enrolled; --rems-enrolled says it without them.
    enrolled = args.rems_enrolled or record.rems_enrolled_on is not None or bool(record.rems_id.strip())
    print(ws.patients.add(replace(record, rems_enrolled=enrolled)).id)
    return 0


def patients_rems(ws: Workspace, args: argparse.Namespace) -> int:
    """Set a patient's Spravato REMS enrolment: ``--enrolled no`` clears the date and ID."""
    v = Values()
    patient_id = v.record_id(args.patient, "patient_id")
    enrolled = _yes_no(v, args.enrolled, "rems_enrolled")
    enrolled_on = v.day(args.on, "rems_enrolled_on")
    v.done()
    assert patient_id is not None and enrolled is not None
    patient = ws.patients.get(patient_id)
    changes: dict[str, Any] = {"rems_enrolled": enrolled}
    if not enrolled:
        changes.update(rems_enrolled_on=enrolled_on, rems_id=args.rems_id or "")  # given ones are refused
    else:
        if args.on is not None:
            changes["rems_enrolled_on"] = enrolled_on
        if args.rems_id is not None:
            changes["rems_id"] = args.rems_id
    saved = ws.patients.update(replace(patient, **changes))
    if saved.rems_enrolled:
        details = ", ".join(
            part
            for part in (
                f"since {iso(saved.rems_enrolled_on)}" if saved.rems_enrolled_on else "",
                f"REMS ID {saved.rems_id}" if saved.rems_id else "",
            )
            if part
        )
        print(f"{saved.legal_name}: enrolled in the Spravato REMS" + (f" ({details})" if details else ""))
    else:
        print(f"{saved.legal_name}: not enrolled in the Spravato REMS")
    return 0


# --- providers -----------------------------------------------------------------------------------


def providers_list(ws: Workspace, args: argparse.Namespace) -> int:
    records = ws.providers.list()
    names = {p.id: p.name for p in records}
    return print_list(
        args,
        records,
        ["ID", "Kind", "Name", "Credentials", "NPI", "TIN", "Taxonomy", "Clinic"],
        lambda p: [
            p.id,
            p.kind.value,
            p.name,
            p.credentials,
            p.npi,
            p.tin,
            p.taxonomy,
            names.get(p.clinic_id, "") if p.clinic_id else "",
        ],
        "providers",
        right=[0],
    )


def providers_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import ProviderKind
    from kettrack.core.records import ProviderRecord

    v = Values()
    record = ProviderRecord(
        name=args.name,
        kind=v.choice(ProviderKind, args.kind, "kind", ProviderKind.INDIVIDUAL),
        credentials=args.credentials or "",
        npi=args.npi or "",
        tin=args.tin or "",
        taxonomy=args.taxonomy or "",
        license_number=args.license or "",
        license_state=args.license_state or "",
        address=_address(args),
        phone=args.phone or "",
        clinic_id=v.record_id(args.clinic, "clinic_id"),
    )
    v.done()
    print(ws.providers.add(record).id)
    return 0


# --- payers --------------------------------------------------------------------------------------


def payers_list(ws: Workspace, args: argparse.Namespace) -> int:
    records = ws.payers.list()
    return print_list(
        args,
        records,
        ["ID", "Name", "Kind", "Payer code", "Phone"],
        lambda p: [p.id, p.name, p.kind.value, p.payer_code, p.phone],
        "payers",
        right=[0],
    )


def _warn_no_appeals_address(address: str) -> None:
    import sys

    if not address.strip():
        print("warning: no appeals address: letters to this payer will have no address", file=sys.stderr)


def payers_edit(ws: Workspace, args: argparse.Namespace) -> int:
    from dataclasses import replace

    v = Values()
    payer_id = v.record_id(args.id, "id")
    v.done()
    assert payer_id is not None
    changes = {
        name: value
        for name, value in (
            ("name", args.name),
            ("phone", args.phone),
            ("claims_address", args.claims_address),
            ("appeals_address", args.appeals_address),
        )
        if value is not None
    }
    saved = ws.payers.update(replace(ws.payers.get(payer_id), **changes))
    print(f"payer {saved.id} saved: {saved.name}")
    _warn_no_appeals_address(saved.appeals_address)
    return 0


def payers_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import PayerKind
    from kettrack.core.records import PayerRecord

    v = Values()
    record = PayerRecord(
        name=args.name,
        kind=v.choice(PayerKind, args.kind, "kind", PayerKind.COMMERCIAL),
        payer_code=args.payer_code or "",
        phone=args.phone or "",
        claims_address=args.claims_address or "",
        appeals_address=args.appeals_address or "",
    )
    v.done()
    print(ws.payers.add(record).id)
    _warn_no_appeals_address(record.appeals_address)
    return 0


# --- coverages -----------------------------------------------------------------------------------


def coverages_list(ws: Workspace, args: argparse.Namespace) -> int:
    patient_id = _patient_filter(args)
    records = ws.coverages.list() if patient_id is None else ws.coverages.for_patient(patient_id)
    patients = {c.id: c.label for c in ws.patients.choices()}
    payers = {p.id: p.name for p in ws.payers.list()}
    return print_list(
        args,
        records,
        ["ID", "Patient", "Payer", "Member ID", "Group", "Rank", "Network", "From", "To"],
        lambda c: [
            c.id,
            patients.get(c.patient_id, ""),
            payers.get(c.payer_id, ""),
            c.member_id,
            c.group_number,
            c.rank.value,
            c.network.value,
            iso(c.effective_from),
            iso(c.effective_to),
        ],
        "coverages",
        right=[0],
    )


def coverages_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import CoverageRank, Network, Relationship
    from kettrack.core.records import CoverageRecord

    v = Values()
    patient_id = v.record_id(args.patient, "patient_id")
    payer_id = v.record_id(args.payer, "payer_id")
    values = {
        "group_number": args.group or "",
        "relationship": v.choice(Relationship, args.relationship, "relationship", Relationship.SELF),
        "policyholder_name": args.policyholder or "",
        "policyholder_dob": v.day(args.policyholder_dob, "policyholder_dob"),
        "rank": v.choice(CoverageRank, args.rank, "rank", CoverageRank.PRIMARY),
        "effective_from": v.day(args.date_from, "effective_from"),
        "effective_to": v.day(args.date_to, "effective_to"),
        "network": v.choice(Network, args.network, "network", Network.UNKNOWN),
    }
    v.done()
    assert patient_id is not None and payer_id is not None  # required options
    record = CoverageRecord(patient_id=patient_id, payer_id=payer_id, member_id=args.member_id, **values)
    print(ws.coverages.add(record).id)
    return 0


# --- treatments ----------------------------------------------------------------------------------


def treatments_list(ws: Workspace, args: argparse.Namespace) -> int:
    patient_id = _patient_filter(args)
    records = ws.treatments.list() if patient_id is None else ws.treatments.for_patient(patient_id)
    patients = {c.id: c.label for c in ws.patients.choices()}
    return print_list(
        args,
        records,
        ["ID", "Patient", "Kind", "Name", "Started", "Ended", "Outcome"],
        lambda t: [
            t.id,
            patients.get(t.patient_id, ""),
            t.kind.value,
            t.name,
            iso(t.started_on),
            iso(t.ended_on),
            t.outcome.value,
        ],
        "treatments",
        right=[0],
    )


def treatments_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import TreatmentKind, TreatmentOutcome
    from kettrack.core.records import TreatmentRecord

    v = Values()
    patient_id = v.record_id(args.patient, "patient_id")
    kind = v.choice(TreatmentKind, args.kind, "kind", TreatmentKind.OTHER)
    values = {
        "details": args.details or "",
        "started_on": v.day(args.started, "started_on"),
        "ended_on": v.day(args.ended, "ended_on"),
        "outcome": v.choice(TreatmentOutcome, args.outcome, "outcome", TreatmentOutcome.OTHER),
        "notes": args.notes or "",
    }
    v.done()
    assert patient_id is not None
    record = TreatmentRecord(patient_id=patient_id, kind=kind, name=args.name, **values)
    print(ws.treatments.add(record).id)
    return 0


# --- registration --------------------------------------------------------------------------------


def _address_options(parser: argparse.ArgumentParser) -> None:
    for option in ("--address-line1", "--address-line2", "--city", "--state", "--postal-code"):
        parser.add_argument(option)


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)

    def listing(actions: argparse._SubParsersAction[Any], help_text: str, handler: Any) -> Any:
        sub = command("list", help_text, handler, actions)
        sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
        return sub

    actions = action_group(commands, "patients", "people who receive infusions")
    listing(actions, "list patients", patients_list)
    add = command("add", "add a patient; prints the new id", patients_add, actions)
    add.add_argument("--name", required=True, help="full legal name, exactly as on the insurance card")
    add.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth")
    add.add_argument("--sex", help=enum_choices("Sex"))
    add.add_argument("--phone")
    add.add_argument("--email")
    _address_options(add)
    add.add_argument(
        "--rems-enrolled", action="store_true", help="enrolled in the Spravato (esketamine) REMS"
    )
    add.add_argument(
        "--rems-enrolled-on", metavar="YYYY-MM-DD", help="REMS enrolment date (implies enrolled)"
    )
    add.add_argument("--rems-id", metavar="ID", help="the patient's REMS ID, if any (implies enrolled)")
    sub = command("rems", "set a patient's Spravato (esketamine) REMS enrolment", patients_rems, actions)
    sub.add_argument("patient", metavar="PATIENT", help="the patient's id")
    sub.add_argument("--enrolled", required=True, metavar="yes|no", help="no clears the date and ID")
    sub.add_argument("--on", metavar="YYYY-MM-DD", help="enrolment date")
    sub.add_argument("--rems-id", metavar="ID", help="the patient's REMS ID")

    actions = action_group(commands, "providers", "clinicians and clinics")
    listing(actions, "list providers and clinics", providers_list)
    add = command("add", "add a clinician or a clinic; prints the new id", providers_add, actions)
    add.add_argument("--kind", help=f"{enum_choices('ProviderKind')} (default individual)")
    add.add_argument("--name", required=True)
    add.add_argument("--credentials", help="e.g. MD, CRNA")
    add.add_argument("--npi", help="10-digit National Provider Identifier")
    add.add_argument("--tin", help="tax id (EIN), like 12-3456789")
    add.add_argument("--taxonomy", help="taxonomy code, like 2084P0800X")
    add.add_argument("--license", help="license number")
    add.add_argument("--license-state", help="2-letter state of the license")
    add.add_argument("--phone")
    add.add_argument(
        "--clinic", "--clinic-id", dest="clinic", metavar="ID", help="the clinic this clinician works in"
    )
    _address_options(add)

    actions = action_group(commands, "payers", "insurance payers")
    listing(actions, "list payers", payers_list)
    add = command("add", "add a payer; prints the new id", payers_add, actions)
    add.add_argument("--name", required=True)
    add.add_argument("--kind", help=f"{enum_choices('PayerKind')} (default commercial)")
    add.add_argument("--payer-code")
    add.add_argument("--phone")
    add.add_argument("--claims-address", help="where claims go (may span lines)")
    add.add_argument("--appeals-address", help="where appeals go (may span lines)")
    edit = command("edit", "change a payer's details (only the options given)", payers_edit, actions)
    edit.add_argument("id", metavar="ID")
    edit.add_argument("--name")
    edit.add_argument("--phone")
    edit.add_argument("--claims-address", help="where claims go (may span lines)")
    edit.add_argument("--appeals-address", help="where appeals go: letters are addressed here")

    actions = action_group(commands, "coverages", "patients' insurance memberships")
    sub = listing(actions, "list coverages", coverages_list)
    sub.add_argument("--patient", metavar="ID", help="only this patient's coverages")
    add = command("add", "add a coverage; prints the new id", coverages_add, actions)
    add.add_argument("--patient", metavar="ID", required=True)
    add.add_argument("--payer", metavar="ID", required=True)
    add.add_argument("--member-id", required=True)
    add.add_argument("--group", help="group number")
    add.add_argument(
        "--relationship", help=f"patient to policyholder: {enum_choices('Relationship')} (default self)"
    )
    add.add_argument("--rank", help=f"{enum_choices('CoverageRank')} (default primary)")
    add.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="effective from")
    add.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="effective to")
    add.add_argument("--network", help=f"{enum_choices('Network')} (default unknown)")
    add.add_argument("--policyholder", help="policyholder's name, when not the patient")
    add.add_argument("--policyholder-dob", metavar="YYYY-MM-DD")

    actions = action_group(commands, "treatments", "earlier treatments (cited in appeals)")
    sub = listing(actions, "list treatment history", treatments_list)
    sub.add_argument("--patient", metavar="ID", help="only this patient's treatments")
    add = command("add", "add an earlier treatment; prints the new id", treatments_add, actions)
    add.add_argument("--patient", metavar="ID", required=True)
    add.add_argument("--kind", required=True, help=enum_choices("TreatmentKind"))
    add.add_argument("--name", required=True, help="e.g. Sertraline")
    add.add_argument("--details", help="dose, number of sessions")
    add.add_argument("--started", metavar="YYYY-MM-DD")
    add.add_argument("--ended", metavar="YYYY-MM-DD")
    add.add_argument("--outcome", help=f"{enum_choices('TreatmentOutcome')} (default other)")
    add.add_argument("--notes")
