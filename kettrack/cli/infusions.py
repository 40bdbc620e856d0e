"""Session commands: list treatment sessions (filtered by patient, dates and words) and add one, with
its scores, diagnoses and a payment made on the day; record that an esketamine session's Spravato REMS
Patient Monitoring Form was sent (``rems-form``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from kettrack.cli.kit import (
    DatabaseOptions,
    Values,
    WithWorkspace,
    action_group,
    command_maker,
    enum_choices,
    print_list,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace

_SCORES = ("phq9_before", "phq9_after", "gad7_before", "gad7_after", "pain_before", "pain_after")


def infusions_list(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.rows import InfusionFilter

    v = Values()
    flt = InfusionFilter(
        patient_id=v.record_id(args.patient, "patient_id"),
        date_from=v.day(args.date_from, "from"),
        date_to=v.day(args.date_to, "to"),
        text=args.text or "",
    )
    v.done()
    if args.json:
        return print_list(args, ws.infusions.list(flt), [], lambda r: [], "infusion sessions")
    rows = ws.infusions.rows(ws.infusions.ids(flt, sort="date", descending=False))
    return print_list(
        args,
        rows,
        ["ID", "Date", "Patient", "Provider", "Drug", "Route", "Dose mg", "Min", "Diagnoses", "Paid"],
        lambda r: [
            r.id,
            r.service_date.isoformat(),
            r.patient_name,
            r.provider_name,
            r.drug.value,
            r.route.value,
            "" if r.dose_mg is None else r.dose_mg,
            r.duration_minutes,
            r.diagnoses,
            r.amount_paid,
        ],
        "infusion sessions",
        right=[0, 6, 7, 9],
    )


def infusions_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import Drug, PaymentMethod, Route
    from kettrack.core.records import InfusionRecord, PaymentRecord
    from kettrack.core.validation import MAX_DOSE_MG, MAX_WEIGHT_KG

    v = Values()
    patient_id = v.record_id(args.patient, "patient_id")
    service_date = v.day(args.date, "service_date")
    values: dict[str, Any] = {
        "drug": v.choice(Drug, args.drug, "drug", Drug.KETAMINE),
        "route": v.choice(Route, args.route, "route", Route.IV),
        "provider_id": v.record_id(args.provider, "provider_id"),
        "clinic_id": v.record_id(args.clinic, "clinic_id"),
        "start_time": v.clock(args.start, "start_time"),
        "end_time": v.clock(args.end, "end_time"),
        "place_of_service": args.pos or ws.fees.usual_place(),
        "dose_mg": v.measure(args.dose_mg, "dose_mg", MAX_DOSE_MG),
        "weight_kg": v.measure(args.weight_kg, "weight_kg", MAX_WEIGHT_KG),
        "diagnoses": tuple(args.dx or ()),
        "side_effects": args.side_effects or "",
        "notes": args.notes or "",
    }
    for score in _SCORES:
        values[score] = v.whole(getattr(args, score), score)
    payments: tuple[PaymentRecord, ...] = ()
    if args.paid is not None:
        amount = v.amount(args.paid, "payments[1].amount")
        paid_on = v.day(args.paid_on, "payments[1].paid_on") if args.paid_on else service_date
        method = v.choice(PaymentMethod, args.paid_method, "payments[1].method", PaymentMethod.CARD)
        if amount is not None and paid_on is not None:
            payments = (PaymentRecord(paid_on, amount, method, args.paid_reference or ""),)
    elif args.paid_on or args.paid_method or args.paid_reference:
        v.add(
            "paid", "--paid-on, --paid-method and --paid-reference describe a payment: give --paid AMOUNT too"
        )
    v.done()
    assert patient_id is not None and service_date is not None
    record = InfusionRecord(patient_id=patient_id, service_date=service_date, payments=payments, **values)
    saved = ws.infusions.add(record)
    print(saved.id)
    _warn_rems(ws, saved.id)
    if record.diagnoses and (warning := ws.icd10().coverage_warning(service_date)):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _warn_rems(ws: Workspace, session_id: int | None) -> None:
    """Say on stderr (stdout keeps only the id, for scripts) when esketamine went to a patient the
    Spravato REMS does not have enrolled."""
    from kettrack.services import rems

    warning = rems.session_warning(ws, session_id) if session_id is not None else None
    if warning:
        print(f"warning: session {session_id}: {warning}", file=sys.stderr)


def infusions_rems_form(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.services import rems

    v = Values()
    session_id = v.record_id(args.session, "session")
    sent = v.day(args.sent, "rems_form_sent_on")
    v.done()
    assert session_id is not None
    done = rems.record_form_sent(ws, session_id, sent)
    assert done.form_sent_on is not None
    print(
        f"session {done.session_id} of {done.service_date.isoformat()}: Spravato REMS Patient Monitoring "
        f"Form sent on {done.form_sent_on.isoformat()}"
    )
    _warn_rems(ws, done.session_id)
    return 0


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)
    actions = action_group(commands, "infusions", "treatment sessions")
    sub = command("list", "list sessions, oldest first", infusions_list, actions)
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.add_argument("--patient", metavar="ID")
    sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    sub.add_argument("--text", help="words in the patient, provider, drug, diagnoses or notes")
    add = command("add", "add a session; prints the new id", infusions_add, actions)
    add.add_argument("--patient", metavar="ID", required=True)
    add.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="date of service")
    add.add_argument("--drug", help=f"{enum_choices('Drug')} (default ketamine)")
    add.add_argument("--route", help=f"{enum_choices('Route')} (default iv)")
    add.add_argument("--provider", metavar="ID", help="rendering provider")
    add.add_argument("--clinic", metavar="ID")
    add.add_argument("--start", metavar="HH:MM")
    add.add_argument("--end", metavar="HH:MM")
    add.add_argument("--pos", help="place-of-service code (default: the clinic's usual one, else 11)")
    add.add_argument("--dose-mg")
    add.add_argument("--weight-kg")
    add.add_argument("--dx", action="append", metavar="ICD10", help="diagnosis code; repeat for more")
    for score in _SCORES:
        add.add_argument("--" + score.replace("_", "-"), dest=score, metavar="N")
    add.add_argument("--side-effects")
    add.add_argument("--notes")
    add.add_argument("--paid", metavar="AMOUNT", help="amount paid, like 450.00")
    add.add_argument("--paid-on", metavar="YYYY-MM-DD", help="default: the date of service")
    add.add_argument("--paid-method", help=f"{enum_choices('PaymentMethod')} (default card)")
    add.add_argument("--paid-reference", help="receipt or card reference")
    sub = command(
        "rems-form",
        "record that an esketamine session's Spravato REMS Patient Monitoring Form was sent",
        infusions_rems_form,
        actions,
    )
    sub.add_argument("session", metavar="SESSION", help="the session's id")
    sub.add_argument("--sent", metavar="YYYY-MM-DD", required=True, help="the day the form was sent")
