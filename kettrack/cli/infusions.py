"""Session commands: list treatment sessions (filtered by patient, dates and words), add one with its
scores, diagnoses and a payment made on the day, edit one (only the options given; ``--replace-dx OLD
NEW`` swaps one diagnosis and keeps the others' order, which the billing lines' pointers follow); record
that an esketamine session's Spravato REMS Patient Monitoring Form was sent (``rems-form``). A session's
options are defined once, in kettrack.cli.record_options.
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
from kettrack.cli.record_options import (
    edit_command,
    edit_record,
    session_changes,
    session_options,
)

if TYPE_CHECKING:
    from kettrack.services.workspace import Workspace


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
    from kettrack.core.enums import PaymentMethod
    from kettrack.core.records import InfusionRecord, PaymentRecord

    v = Values()
    values = session_changes(v, args)
    service_date = values["service_date"]
    if not values.get("place_of_service"):
        values["place_of_service"] = ws.fees.usual_place()
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
    saved = ws.infusions.add(InfusionRecord(payments=payments, **values))
    print(saved.id)
    _warn_after_saving(ws, saved)
    return 0


def _replaced(v: Values, diagnoses: tuple[str, ...], swaps: list[list[str]]) -> tuple[str, ...]:
    """``diagnoses`` with each OLD of ``swaps`` replaced by NEW in its place."""
    found = list(diagnoses)
    for old, new in swaps:
        wanted = old.strip().upper()
        at = next((n for n, code in enumerate(found) if code.upper() == wanted), None)
        if at is None:
            have = ", ".join(found) or "none"
            v.add("diagnoses", f"the session has no diagnosis {old} (it has {have})")
        else:
            found[at] = new.strip()
    return tuple(found)


def infusions_edit(ws: Workspace, args: argparse.Namespace) -> int:
    """Change the options given of a session; validated and audited as the window's edit (its payments
    and Spravato REMS form stay as they are)."""

    def changes_of(v: Values, session: Any) -> dict[str, Any]:
        changes = session_changes(v, args)
        if args.replace_dx:
            changes["diagnoses"] = _replaced(v, changes.get("diagnoses", session.diagnoses), args.replace_dx)
        return changes

    saved = edit_record(ws.infusions, args, "infusions", changes_of)
    print(f"session {saved.id} of {saved.service_date.isoformat()} saved")
    _warn_after_saving(ws, saved)
    return 0


def _warn_after_saving(ws: Workspace, saved: Any) -> None:
    """Say on stderr what the saved session still lacks (stdout keeps the id, for scripts)."""
    _warn_rems(ws, saved.id)
    if saved.diagnoses and (warning := ws.icd10().coverage_warning(saved.service_date)):
        print(f"warning: {warning}", file=sys.stderr)


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
    session_options(add, adding=True)
    add.add_argument("--paid", metavar="AMOUNT", help="amount paid, like 450.00")
    add.add_argument("--paid-on", metavar="YYYY-MM-DD", help="default: the date of service")
    add.add_argument("--paid-method", help=f"{enum_choices('PaymentMethod')} (default card)")
    add.add_argument("--paid-reference", help="receipt or card reference")
    edit = edit_command(command, actions, "session", infusions_edit)
    session_options(edit, adding=False)
    edit.add_argument(
        "--replace-dx",
        nargs=2,
        action="append",
        metavar=("OLD", "NEW"),
        help="replace diagnosis OLD with NEW, keeping the others and their order (repeatable)",
    )
    sub = command(
        "rems-form",
        "record that an esketamine session's Spravato REMS Patient Monitoring Form was sent",
        infusions_rems_form,
        actions,
    )
    sub.add_argument("session", metavar="SESSION", help="the session's id")
    sub.add_argument("--sent", metavar="YYYY-MM-DD", required=True, help="the day the form was sent")
