"""Record commands: list, add and edit patients, providers (clinicians and clinics), payers and coverages
(a patient's plan membership); list and add treatment history. ``add`` prints the new record's id;
``edit`` changes only the options given, through the repository the window saves with (validated, and
audited in the same transaction). Each record's options are defined once, in kettrack.cli.record_options.
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
from kettrack.cli.record_options import (
    coverage_changes,
    coverage_options,
    edit_command,
    edit_record,
    patient_changes,
    patient_options,
    payer_changes,
    payer_options,
    provider_changes,
    provider_options,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


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
    from kettrack.core.records import PatientRecord

    v = Values()
    record = PatientRecord(
        **patient_changes(v, args),
        rems_enrolled_on=v.day(args.rems_enrolled_on, "rems_enrolled_on"),
        rems_id=args.rems_id or "",
    )
    v.done()
    # An enrolment date or REMS ID says the patient is enrolled; --rems-enrolled says it without them.
    enrolled = args.rems_enrolled or record.rems_enrolled_on is not None or bool(record.rems_id.strip())
    print(ws.patients.add(replace(record, rems_enrolled=enrolled)).id)
    return 0


def patients_edit(ws: Workspace, args: argparse.Namespace) -> int:
    """Change the options given of a patient; validated and audited as the window's edit."""
    saved = edit_record(ws.patients, args, "patients", lambda v, p: patient_changes(v, args, p.address))
    print(f"patient {saved.id} saved: {saved.legal_name}")
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
    from kettrack.core.records import ProviderRecord

    v = Values()
    changes = provider_changes(v, args)
    v.done()
    record = ProviderRecord(**changes)  # the options not given keep the record's defaults
    print(ws.providers.add(record).id)
    return 0


def providers_edit(ws: Workspace, args: argparse.Namespace) -> int:
    """Change the options given of a clinician or clinic; validated and audited as the window's edit."""
    saved = edit_record(ws.providers, args, "providers", lambda v, p: provider_changes(v, args, p.address))
    print(f"provider {saved.id} saved: {saved.display_name}")
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
    saved = edit_record(ws.payers, args, "payers", lambda v, _: payer_changes(v, args))
    print(f"payer {saved.id} saved: {saved.name}")
    _warn_no_appeals_address(saved.appeals_address)
    return 0


def payers_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.records import PayerRecord

    v = Values()
    changes = payer_changes(v, args)
    v.done()
    record = PayerRecord(**changes)
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
    from kettrack.core.records import CoverageRecord

    v = Values()
    patient_id = v.record_id(args.patient, "patient_id")
    changes = coverage_changes(v, args)
    v.done()
    assert patient_id is not None and changes.get("payer_id") is not None  # required options
    print(ws.coverages.add(CoverageRecord(patient_id=patient_id, **changes)).id)
    return 0


def coverages_edit(ws: Workspace, args: argparse.Namespace) -> int:
    """Change the options given of a coverage; validated and audited as the window's edit."""
    saved = edit_record(ws.coverages, args, "coverages", lambda v, _: coverage_changes(v, args))
    print(f"coverage {saved.id} saved: member ID {saved.member_id}")
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
    patient_options(add, adding=True)
    add.add_argument(
        "--rems-enrolled", action="store_true", help="enrolled in the Spravato (esketamine) REMS"
    )
    add.add_argument(
        "--rems-enrolled-on", metavar="YYYY-MM-DD", help="REMS enrolment date (implies enrolled)"
    )
    add.add_argument("--rems-id", metavar="ID", help="the patient's REMS ID, if any (implies enrolled)")
    patient_options(edit_command(command, actions, "patient", patients_edit), adding=False)
    sub = command("rems", "set a patient's Spravato (esketamine) REMS enrolment", patients_rems, actions)
    sub.add_argument("patient", metavar="PATIENT", help="the patient's id")
    sub.add_argument("--enrolled", required=True, metavar="yes|no", help="no clears the date and ID")
    sub.add_argument("--on", metavar="YYYY-MM-DD", help="enrolment date")
    sub.add_argument("--rems-id", metavar="ID", help="the patient's REMS ID")

    actions = action_group(commands, "providers", "clinicians and clinics")
    listing(actions, "list providers and clinics", providers_list)
    add = command("add", "add a clinician or a clinic; prints the new id", providers_add, actions)
    provider_options(add, adding=True)
    provider_options(edit_command(command, actions, "provider", providers_edit), adding=False)

    actions = action_group(commands, "payers", "insurance payers")
    listing(actions, "list payers", payers_list)
    payer_options(command("add", "add a payer; prints the new id", payers_add, actions), adding=True)
    payer_options(edit_command(command, actions, "payer", payers_edit), adding=False)

    actions = action_group(commands, "coverages", "patients' insurance memberships")
    sub = listing(actions, "list coverages", coverages_list)
    sub.add_argument("--patient", metavar="ID", help="only this patient's coverages")
    coverage_options(command("add", "add a coverage; prints the new id", coverages_add, actions), adding=True)
    coverage_options(edit_command(command, actions, "coverage", coverages_edit), adding=False)

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
