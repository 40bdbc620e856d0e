"""The options of a record, defined once for its ``add`` and its ``edit`` command: each record kind has
a function that puts its options on a parser (``adding`` makes the ones a new record needs required)
and one that reads the options given into record fields.

Only the options given are read (``edit`` changes only those). An empty value clears a field: ``--phone
""`` blanks the phone, ``--dob ""`` forgets the date of birth, ``--clinic ""`` detaches a clinician from
the clinic. Values are parsed with the kit's :class:`Values`, which collects every problem; the record
itself is validated by its repository, the same one the window saves through.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from datetime import date, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kettrack.cli.kit import UsageError, Values, enum_choices

R = TypeVar("R", bound="DataclassInstance")  # a record: a dataclass the edit replaces fields of

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from kettrack.core.records import Address

__all__ = [
    "SCORES",
    "coverage_changes",
    "coverage_options",
    "edit_command",
    "edited_id",
    "payer_changes",
    "payer_options",
    "patient_changes",
    "patient_options",
    "provider_changes",
    "provider_options",
    "require_changes",
    "session_changes",
    "session_options",
]

# --address-line1 ... --postal-code and the Address field each sets.
_ADDRESS = (
    ("--address-line1", "line1"),
    ("--address-line2", "line2"),
    ("--city", "city"),
    ("--state", "state"),
    ("--postal-code", "postal_code"),
)
SCORES = ("phq9_before", "phq9_after", "gad7_before", "gad7_after", "pain_before", "pain_after")


def _values_of(kind: str, adding: bool, default: str) -> str:
    """An enum option's help: its values, and (for ``add``) what it is when not given."""
    return enum_choices(kind) + (f" (default {default})" if adding else "")


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _blank(text: str) -> bool:
    return not text.strip()


def _day(v: Values, text: str, field: str) -> date | None:
    return None if _blank(text) else v.day(text, field)


def _clock(v: Values, text: str, field: str) -> time | None:
    return None if _blank(text) else v.clock(text, field)


def _ref(v: Values, text: str, field: str) -> int | None:
    return None if _blank(text) else v.record_id(text, field)


def _whole(v: Values, text: str, field: str) -> int | None:
    return None if _blank(text) else v.whole(text, field)


def _measure(v: Values, text: str, field: str, maximum: Decimal) -> Decimal | None:
    return None if _blank(text) else v.measure(text, field, maximum)


def _given(args: argparse.Namespace, names: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Record field -> the text given, for the options (dest, field) that were given."""
    return {field: getattr(args, dest) for dest, field in names if getattr(args, dest, None) is not None}


def _address_options(parser: argparse.ArgumentParser) -> None:
    for flag, _field in _ADDRESS:
        parser.add_argument(flag)


def _address(args: argparse.Namespace, base: Address | None) -> Address | None:
    """``base`` with the address parts given (None when none was given)."""
    from dataclasses import replace

    from kettrack.core.records import Address

    parts = _given(args, tuple((_dest(flag), part) for flag, part in _ADDRESS))
    if not parts:
        return None
    return replace(base or Address(), **parts)


def _choice(v: Values, kind_name: str, text: str | None, field: str) -> dict[str, Any]:
    from kettrack.core import enums

    if text is None:
        return {}
    kind = getattr(enums, kind_name)
    return {field: v.choice(kind, text, field, None)}


# --- edit commands -------------------------------------------------------------------------------


def edit_command(command: Any, actions: Any, kind: str, handler: Any) -> argparse.ArgumentParser:
    """``GROUP edit ID``, made with the area's ``command`` maker; the caller adds the record's options."""
    sub: argparse.ArgumentParser = command(
        "edit", f'change a {kind}\'s details (only the options given; "" clears one)', handler, actions
    )
    sub.add_argument("id", metavar="ID", help=f"the {kind}'s id")
    return sub


def edited_id(args: argparse.Namespace) -> int:
    """The id an ``edit`` command names."""
    v = Values()
    record_id = v.record_id(args.id, "id")
    v.done()
    assert record_id is not None
    return record_id


def require_changes(changes: dict[str, Any], group: str) -> None:
    """Refuse an ``edit`` that gives nothing to change."""
    if not changes:
        raise UsageError(f"say what to change: see kettrack {group} edit --help")


class Editable(Protocol[R]):
    """A repository an ``edit`` command changes a record through (validated and audited there)."""

    def get(self, record_id: int) -> R: ...
    def update(self, record: R) -> R: ...


def edit_record(
    repository: Editable[R],
    args: argparse.Namespace,
    group: str,
    changes_of: Callable[[Values, R], dict[str, Any]],
) -> R:
    """The ``edit`` commands' one way: read the record, read the options given (all their problems at
    once), refuse an edit that changes nothing, and save it through its repository."""
    record = repository.get(edited_id(args))
    v = Values()
    changes = changes_of(v, record)
    v.done()
    require_changes(changes, group)
    return repository.update(replace(record, **changes))


# --- patients ------------------------------------------------------------------------------------


def patient_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--name", required=adding, help="full legal name, exactly as on the insurance card")
    parser.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth")
    parser.add_argument("--sex", help=enum_choices("Sex"))
    parser.add_argument("--phone")
    parser.add_argument("--email")
    _address_options(parser)


def patient_changes(v: Values, args: argparse.Namespace, address: Address | None = None) -> dict[str, Any]:
    """PatientRecord fields from the options given (``address``: the one on file, for an edit)."""
    found: dict[str, Any] = _given(args, (("name", "legal_name"), ("phone", "phone"), ("email", "email")))
    if args.dob is not None:
        found["date_of_birth"] = _day(v, args.dob, "date_of_birth")
    found |= _choice(v, "Sex", args.sex, "sex")
    if (changed := _address(args, address)) is not None:
        found["address"] = changed
    return found


# --- providers -----------------------------------------------------------------------------------


def provider_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--kind", help=_values_of("ProviderKind", adding, "individual"))
    parser.add_argument("--name", required=adding)
    parser.add_argument("--credentials", help="e.g. MD, CRNA")
    parser.add_argument("--npi", help="10-digit National Provider Identifier")
    parser.add_argument("--tin", help="tax id (EIN), like 12-3456789")
    parser.add_argument("--taxonomy", help="taxonomy code, like 2084P0800X")
    parser.add_argument("--license", help="license number")
    parser.add_argument("--license-state", help="2-letter state of the license")
    parser.add_argument("--phone")
    parser.add_argument(
        "--clinic", "--clinic-id", dest="clinic", metavar="ID", help="the clinic this clinician works in"
    )
    _address_options(parser)


def provider_changes(v: Values, args: argparse.Namespace, address: Address | None = None) -> dict[str, Any]:
    """ProviderRecord fields from the options given (``address``: the one on file, for an edit)."""
    found: dict[str, Any] = _given(
        args,
        (
            ("name", "name"),
            ("credentials", "credentials"),
            ("npi", "npi"),
            ("tin", "tin"),
            ("taxonomy", "taxonomy"),
            ("license", "license_number"),
            ("license_state", "license_state"),
            ("phone", "phone"),
        ),
    )
    found |= _choice(v, "ProviderKind", args.kind, "kind")
    if args.clinic is not None:
        found["clinic_id"] = _ref(v, args.clinic, "clinic_id")
    if (changed := _address(args, address)) is not None:
        found["address"] = changed
    return found


# --- payers --------------------------------------------------------------------------------------


def payer_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--name", required=adding)
    parser.add_argument("--kind", help=_values_of("PayerKind", adding, "commercial"))
    parser.add_argument("--payer-code")
    parser.add_argument("--phone")
    parser.add_argument("--claims-address", help="where claims go (may span lines)")
    parser.add_argument("--appeals-address", help="where appeals go: letters are addressed here")


def payer_changes(v: Values, args: argparse.Namespace) -> dict[str, Any]:
    """PayerRecord fields from the options given."""
    found = _given(
        args,
        (
            ("name", "name"),
            ("payer_code", "payer_code"),
            ("phone", "phone"),
            ("claims_address", "claims_address"),
            ("appeals_address", "appeals_address"),
        ),
    )
    return found | _choice(v, "PayerKind", args.kind, "kind")


# --- coverages -----------------------------------------------------------------------------------


def coverage_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    """A coverage's options; its patient is given when adding only (a membership stays the patient's)."""
    if adding:
        parser.add_argument("--patient", metavar="ID", required=True)
    parser.add_argument("--payer", metavar="ID", required=adding)
    parser.add_argument("--member-id", required=adding)
    parser.add_argument("--group", help="group number")
    parser.add_argument(
        "--relationship",
        help="patient to policyholder: " + _values_of("Relationship", adding, "self"),
    )
    parser.add_argument("--rank", help=_values_of("CoverageRank", adding, "primary"))
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="effective from")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="effective to")
    parser.add_argument("--network", help=_values_of("Network", adding, "unknown"))
    parser.add_argument("--policyholder", help="policyholder's name, when not the patient")
    parser.add_argument("--policyholder-dob", metavar="YYYY-MM-DD")


def coverage_changes(v: Values, args: argparse.Namespace) -> dict[str, Any]:
    """CoverageRecord fields from the options given."""
    found: dict[str, Any] = _given(
        args, (("member_id", "member_id"), ("group", "group_number"), ("policyholder", "policyholder_name"))
    )
    if args.payer is not None:
        found["payer_id"] = v.record_id(args.payer, "payer_id")
    for dest, field in (
        ("policyholder_dob", "policyholder_dob"),
        ("date_from", "effective_from"),
        ("date_to", "effective_to"),
    ):
        if getattr(args, dest) is not None:
            found[field] = _day(v, getattr(args, dest), field)
    found |= _choice(v, "Relationship", args.relationship, "relationship")
    found |= _choice(v, "CoverageRank", args.rank, "rank")
    found |= _choice(v, "Network", args.network, "network")
    return found


# --- sessions ------------------------------------------------------------------------------------


def session_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    """A session's own options (a payment made on the day is ``add``'s alone)."""
    parser.add_argument("--patient", metavar="ID", required=adding)
    parser.add_argument("--date", metavar="YYYY-MM-DD", required=adding, help="date of service")
    parser.add_argument("--drug", help=_values_of("Drug", adding, "ketamine"))
    parser.add_argument("--route", help=_values_of("Route", adding, "iv"))
    parser.add_argument("--provider", metavar="ID", help="rendering provider")
    parser.add_argument("--clinic", metavar="ID")
    parser.add_argument("--start", metavar="HH:MM")
    parser.add_argument("--end", metavar="HH:MM")
    parser.add_argument(
        "--pos",
        help="place-of-service code" + (" (default: the clinic's usual one, else 11)" if adding else ""),
    )
    parser.add_argument("--dose-mg")
    parser.add_argument("--weight-kg")
    parser.add_argument(
        "--dx",
        action="append",
        metavar="ICD10",
        help="diagnosis code; repeat for more" + ("" if adding else " (replaces the session's list)"),
    )
    for score in SCORES:
        parser.add_argument("--" + score.replace("_", "-"), dest=score, metavar="N")
    parser.add_argument("--side-effects")
    parser.add_argument("--notes")


def session_changes(v: Values, args: argparse.Namespace) -> dict[str, Any]:
    """InfusionRecord fields from the options given."""
    from kettrack.core.validation import MAX_DOSE_MG, MAX_WEIGHT_KG

    found: dict[str, Any] = _given(args, (("side_effects", "side_effects"), ("notes", "notes")))
    if args.patient is not None:
        found["patient_id"] = v.record_id(args.patient, "patient_id")
    if args.date is not None:
        found["service_date"] = v.day(args.date, "service_date")
    found |= _choice(v, "Drug", args.drug, "drug")
    found |= _choice(v, "Route", args.route, "route")
    for dest, field in (("provider", "provider_id"), ("clinic", "clinic_id")):
        if getattr(args, dest) is not None:
            found[field] = _ref(v, getattr(args, dest), field)
    for dest, field in (("start", "start_time"), ("end", "end_time")):
        if getattr(args, dest) is not None:
            found[field] = _clock(v, getattr(args, dest), field)
    if args.pos is not None:
        found["place_of_service"] = args.pos
    for field, maximum in (("dose_mg", MAX_DOSE_MG), ("weight_kg", MAX_WEIGHT_KG)):
        if getattr(args, field) is not None:
            found[field] = _measure(v, getattr(args, field), field, maximum)
    if args.dx is not None:
        found["diagnoses"] = tuple(code for code in args.dx if code.strip())
    for score in SCORES:
        if getattr(args, score) is not None:
            found[score] = _whole(v, getattr(args, score), score)
    return found
