"""The rules a senior biller applies to service lines, as pure functions: used when lines are proposed
(kettrack.core.service_lines) and again as pre-flight problems (kettrack.core.superbill).

Sources (billing reference, ``shared/reference/billing.md``):
- Place of service: drug and infusion lines, and the esketamine sessions G2082/G2083, are in-person
  services; POS 02/10 (telehealth) never fits them. The usual POS is the clinic's own (a setting),
  else 11 (office).
- IV timing: 15 minutes or less is an IV push (96374), not 96365; 96366 only past 90 minutes in all.
- Esketamine for Original Medicare (CGS J15 article): G2082/G2083 without a J-code line (the drug is
  included), the KX modifier (REMS enrolment), the REMS-certified site and ZIP in item 19 / NTE; no
  prolonged-service codes with them. Other payers: J0013 units must match the kit NDC (50458-0028-02 is
  the 56 mg kit, -03 the 84 mg kit; Priority Health edit).
- JW/JZ on Medicare Part B drug lines from single-dose containers (since 2023-07-01); never both on a
  line; multi-dose containers are exempt; never on G2082/G2083.
- NDC quantity units: F2, GR, ME, ML, UN.
- Per-payer code overrides: payer systems lagged behind the S0013 -> J0013 change of 2026-01-01, so a
  payer's rules may say "bill S0013 where J0013 is due" (``code_overrides``); the override is then used
  in proposals and the retired-code check steps aside for that payer's lines.

Nothing here imports the service-line module at run time (it imports this one); line objects are read
by attribute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from kettrack.core.enums import Drug, LabeledEnum, PayerKind, Route

if TYPE_CHECKING:
    from kettrack.core.service_lines import ServiceLine

DEFAULT_PLACE = "11"
TELEHEALTH_PLACES = frozenset({"02", "10"})
PUSH_LIMIT_MINUTES = 15
NDC_UNITS: dict[str, str] = {
    "F2": "international units",
    "GR": "grams",
    "ME": "milligrams",
    "ML": "millilitres",
    "UN": "units",
}
ESKETAMINE_SESSION_CODES = ("G2082", "G2083")
ESKETAMINE_DRUG_CODES = ("J0013", "S0013")
ESKETAMINE_LOW_DOSE_MG = Decimal(56)
# Spravato kits by NDC: milligrams per kit (28 mg per device).
ESKETAMINE_KITS: dict[str, int] = {"50458-0028-02": 56, "50458-0028-03": 84}
IV_CODES = ("96365", "96366", "96374")
PROLONGED_CODES = ("99417", "G2212", "99415", "99416")
WASTE_MODIFIERS = ("JW", "JZ")
KX = "KX"


class ContainerType(LabeledEnum):
    """How an NDC's package is used up: what decides whether JW/JZ go on a Medicare Part B line."""

    UNKNOWN = "unknown"
    SINGLE_DOSE = "single_dose"
    MULTI_DOSE = "multi_dose"


def usual_place(setting: str | None) -> str:
    """The place of service new sessions and lines default to: the clinic's own setting, else 11;
    never telehealth (a ketamine session is given in person)."""
    text = (setting or "").strip()
    if re.fullmatch(r"\d{2}", text) and text not in TELEHEALTH_PLACES:
        return text
    return DEFAULT_PLACE


def usual_place_problem(text: str) -> str | None:
    """Why ``text`` cannot be the usual place of service, or None."""
    value = text.strip()
    if not re.fullmatch(r"\d{2}", value):
        return "a place of service is a 2-digit CMS code, like 11 (office)"
    if value in TELEHEALTH_PLACES:
        return f"{value} is telehealth: infusions and esketamine sessions are given in person"
    return None


def is_part_b(kind: PayerKind | None) -> bool:
    """Original Medicare (Part B): where the G2082/G2083, KX and JW/JZ rules are CMS's own."""
    return kind is PayerKind.ORIGINAL_MEDICARE


def iv_administration(minutes: int) -> list[tuple[str, int]]:
    """(code, units) for an IV session of ``minutes``: a push up to 15 minutes, then 96365 for the
    first hour plus one 96366 per further hour that runs more than 30 minutes past the hour before."""
    if minutes <= 0:
        raise ValueError("an infusion lasts more than 0 minutes")
    if minutes <= PUSH_LIMIT_MINUTES:
        return [("96374", 1)]
    codes = [("96365", 1)]
    further_hours = 0
    while minutes > 60 * (further_hours + 1) + 30:
        further_hours += 1
    if further_hours:
        codes.append(("96366", further_hours))
    return codes


def esketamine_session_code(dose_mg: Decimal) -> str:
    return "G2082" if dose_mg <= ESKETAMINE_LOW_DOSE_MG else "G2083"


def kit_for_dose(dose_mg: Decimal | None) -> str:
    """The Spravato kit NDC whose milligrams equal the dose, or "" when none does."""
    for ndc, mg in ESKETAMINE_KITS.items():
        if dose_mg is not None and Decimal(mg) == dose_mg:
            return ndc
    return ""


def waste_modifier_needed(
    kind: PayerKind | None, code: str, drug_line: bool, container: ContainerType
) -> bool:
    """Whether a line needs JW or JZ: a Medicare Part B drug line from a single-dose container."""
    return (
        is_part_b(kind)
        and drug_line
        and code not in ESKETAMINE_SESSION_CODES
        and container is ContainerType.SINGLE_DOSE
    )


@dataclass(frozen=True)
class SessionFacts:
    """What the rules need to know of the session a line bills."""

    drug: Drug
    route: Route
    minutes: int | None = None
    dose_mg: Decimal | None = None


@dataclass(frozen=True)
class BillingContext:
    """Who the lines are billed to and what the fee schedule says of their NDCs."""

    payer_kind: PayerKind | None = None
    containers: Mapping[str, ContainerType] = field(default_factory=dict)  # NDC -> container
    code_overrides: Mapping[str, str] = field(default_factory=dict)  # code due -> code this payer takes
    ndc_owners: Mapping[str, int] = field(default_factory=dict)  # NDC -> provider whose fee entry has it
    usual_place: str = DEFAULT_PLACE
    in_person_codes: frozenset[str] = frozenset()  # administration and drug codes of the catalog
    drug_codes: frozenset[str] = frozenset()

    def billed_code(self, code: str) -> str:
        """The code this payer takes for ``code`` (its override, if it has one)."""
        return self.code_overrides.get(code, code)

    def overridden(self, code: str) -> bool:
        """Whether ``code`` is on the line because this payer's override asks for it."""
        return code in self.code_overrides.values()


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line (``index`` in the list checked), the field, and what would fix it:
    ``action`` is "set" (give ``field`` the value ``suggestion``), "remove" (remove the line),
    "replace" (bill code ``suggestion`` instead) or "container" (record the NDC's container type)."""

    index: int
    field: str
    message: str
    action: str = "set"
    suggestion: str = ""


def _with(modifiers: Sequence[str], add: str = "", drop: Sequence[str] = ()) -> str:
    kept = [m for m in modifiers if m not in drop]
    if add and add not in kept:
        kept.append(add)
    return " ".join(kept)


def check_lines(
    lines: Sequence[ServiceLine],
    facts: Mapping[int, SessionFacts],
    context: BillingContext,
) -> list[LineProblem]:
    """Every line rule broken by ``lines`` (``facts`` by session id, for the lines that name one)."""
    problems: list[LineProblem] = []
    by_session: dict[int | None, list[int]] = {}
    for index, line in enumerate(lines):
        by_session.setdefault(line.infusion_id, []).append(index)
    part_b = is_part_b(context.payer_kind)
    for index, line in enumerate(lines):
        code, mods = line.code, tuple(line.modifiers)
        session = facts.get(line.infusion_id) if line.infusion_id is not None else None
        siblings = [lines[i].code for i in by_session.get(line.infusion_id, []) if i != index]
        drug_line = code in context.drug_codes
        if line.place_of_service in TELEHEALTH_PLACES and (
            code in context.in_person_codes or code in ESKETAMINE_SESSION_CODES or drug_line
        ):
            problems.append(
                LineProblem(
                    index,
                    "place_of_service",
                    f"place of service {line.place_of_service} is telehealth, but {code} is given in "
                    f"person: use {context.usual_place}",
                    suggestion=context.usual_place,
                )
            )
        if code in context.code_overrides:
            instead = context.code_overrides[code]
            problems.append(
                LineProblem(
                    index, "code", f"this payer takes {instead} in place of {code}", "replace", instead
                )
            )
        if all(m in mods for m in WASTE_MODIFIERS):
            problems.append(
                LineProblem(
                    index,
                    "modifiers",
                    "JW and JZ never go on the same line",
                    suggestion=_with(mods, "JZ", ["JW"]),
                )
            )
        problems += _esketamine(index, line, session, siblings, part_b)
        problems += _iv_timing(index, line, session)
        if drug_line and line.ndc:
            if line.ndc_unit not in NDC_UNITS:
                problems.append(
                    LineProblem(
                        index,
                        "ndc_unit",
                        f"the drug quantity unit is one of {', '.join(NDC_UNITS)}",
                        suggestion="UN",
                    )
                )
            if line.ndc_quantity is None or line.ndc_quantity <= 0:
                problems.append(
                    LineProblem(index, "ndc_quantity", "the drug quantity with the NDC is missing")
                )
            container = context.containers.get(line.ndc, ContainerType.UNKNOWN)
            if part_b and code not in ESKETAMINE_SESSION_CODES:
                problems += _waste(index, line, container)
    return problems


def _waste(index: int, line: ServiceLine, container: ContainerType) -> list[LineProblem]:
    mods = tuple(line.modifiers)
    if container is ContainerType.UNKNOWN:
        return [
            LineProblem(
                index,
                "container",
                f"Medicare Part B needs JW or JZ on drugs from single-dose containers: record whether NDC "
                f"{line.ndc} is a single-dose or multi-dose container in the fee schedule",
                "container",
                ContainerType.SINGLE_DOSE.value,
            )
        ]
    if container is ContainerType.SINGLE_DOSE and not any(m in mods for m in WASTE_MODIFIERS):
        return [
            LineProblem(
                index,
                "modifiers",
                "a Medicare Part B drug from a single-dose container needs JZ (nothing discarded) or JW "
                "(on a line for the discarded amount)",
                suggestion=_with(mods, "JZ"),
            )
        ]
    if container is ContainerType.MULTI_DOSE and any(m in mods for m in WASTE_MODIFIERS):
        return [
            LineProblem(
                index,
                "modifiers",
                "JW and JZ are for single-dose containers; this NDC is a multi-dose container",
                suggestion=_with(mods, drop=WASTE_MODIFIERS),
            )
        ]
    return []


def _esketamine(
    index: int, line: ServiceLine, session: SessionFacts | None, siblings: list[str], part_b: bool
) -> list[LineProblem]:
    code, mods = line.code, tuple(line.modifiers)
    problems: list[LineProblem] = []
    dose = session.dose_mg if session is not None and session.drug is Drug.ESKETAMINE else None
    if code in ESKETAMINE_SESSION_CODES:
        if dose is not None and esketamine_session_code(dose) != code:
            right = esketamine_session_code(dose)
            problems.append(
                LineProblem(
                    index, "code", f"the dose was {dose.normalize():f} mg: that is {right}", "replace", right
                )
            )
        if any(m in mods for m in WASTE_MODIFIERS):
            problems.append(
                LineProblem(
                    index,
                    "modifiers",
                    "JW/JZ do not go with G2082/G2083",
                    suggestion=_with(mods, drop=WASTE_MODIFIERS),
                )
            )
        if part_b and KX not in mods:
            problems.append(
                LineProblem(
                    index,
                    "modifiers",
                    "Medicare wants the KX modifier on G2082/G2083 (the site and patient are in the REMS)",
                    suggestion=_with(mods, KX),
                )
            )
        for prolonged in sorted(set(siblings) & set(PROLONGED_CODES)):
            problems.append(
                LineProblem(
                    index,
                    "code",
                    f"prolonged-service code {prolonged} does not go with {code}",
                    "remove",
                    prolonged,
                )
            )
    if code in ESKETAMINE_DRUG_CODES:
        if part_b and set(siblings) & set(ESKETAMINE_SESSION_CODES):
            problems.append(
                LineProblem(
                    index,
                    "code",
                    f"Medicare includes the drug in G2082/G2083: no {code} line with them",
                    "remove",
                )
            )
            return problems
        kit = ESKETAMINE_KITS.get(line.ndc)
        if kit is not None and line.units != kit:
            problems.append(
                LineProblem(
                    index,
                    "units",
                    f"NDC {line.ndc} is the {kit} mg kit: {code} units must be {kit}, not {line.units}",
                    suggestion=str(kit),
                )
            )
        right = kit_for_dose(dose)
        if kit is not None and dose is not None and right and right != line.ndc:
            problems.append(
                LineProblem(
                    index,
                    "ndc",
                    f"the dose was {dose.normalize():f} mg: that is the kit with NDC {right}",
                    suggestion=right,
                )
            )
    return problems


def _iv_timing(index: int, line: ServiceLine, session: SessionFacts | None) -> list[LineProblem]:
    if (
        session is None
        or session.route is not Route.IV
        or session.minutes is None
        or session.minutes <= 0
        or line.code not in IV_CODES
    ):
        return []
    minutes = session.minutes
    expected = dict(iv_administration(minutes))
    if line.code == "96365" and "96374" in expected:
        return [
            LineProblem(
                index,
                "code",
                f"the session lasted {minutes} minutes: 15 minutes or less is an IV push (96374), not 96365",
                "replace",
                "96374",
            )
        ]
    if line.code == "96374" and "96365" in expected:
        return [
            LineProblem(
                index,
                "code",
                f"the session lasted {minutes} minutes: more than 15 is an infusion (96365), not a push",
                "replace",
                "96365",
            )
        ]
    if line.code == "96366":
        further = expected.get("96366", 0)
        if not further:
            return [
                LineProblem(
                    index,
                    "code",
                    f"the session lasted {minutes} minutes: 96366 is billed only beyond 90 minutes in all",
                    "remove",
                )
            ]
        if line.units != further:
            return [
                LineProblem(
                    index,
                    "units",
                    f"the session lasted {minutes} minutes: that is {further} unit(s) of 96366",
                    suggestion=str(further),
                )
            ]
    return []
