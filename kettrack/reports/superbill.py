"""The itemized superbill PDF: provider, patient and insurance blocks, diagnoses with pointer
letters, one row per service line, totals, each payment as proof of payment, and a signature line.

Input is a plain ``kettrack.core.superbill.Superbill``; output is the PDF's bytes (the store decides
where and how the file is written). Every piece of user text is escaped before ReportLab's mini-markup
sees it, so a name like ``<b>&`` prints as typed.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from kettrack.core.money import format_usd
from kettrack.core.records import Address, ProviderRecord
from kettrack.core.superbill import Superbill
from kettrack.reports import fonts
from kettrack.reports.page import ACCENT, INK, MARGIN, MUTED, RULE, SHADE, build_pdf
from kettrack.reports.paragraphs import FastParagraph as Paragraph  # prints as ReportLab's

# X12 unit qualifiers for a drug's quantity, in words for the reader.
NDC_UNIT_WORDS = {"ME": "mg", "ML": "mL", "UN": "units", "GR": "g", "F2": "IU"}

_BASE = ParagraphStyle("kt-body", fontName=fonts.REGULAR, fontSize=8.5, leading=11, textColor=INK)
_SMALL = ParagraphStyle("kt-small", parent=_BASE, fontSize=7.5, leading=9.5, textColor=MUTED)
_CELL = ParagraphStyle("kt-cell", parent=_BASE, fontSize=8, leading=10)
_CELL_RIGHT = ParagraphStyle("kt-cell-right", parent=_CELL, alignment=TA_RIGHT)
_HEAD = ParagraphStyle("kt-head", parent=_BASE, fontName=fonts.BOLD, fontSize=8, leading=10, textColor=ACCENT)
_HEAD_RIGHT = ParagraphStyle("kt-head-right", parent=_HEAD, alignment=TA_RIGHT)
_STATEMENT = ParagraphStyle("kt-statement", parent=_BASE, alignment=TA_RIGHT, fontName=fonts.BOLD)
_TITLE = ParagraphStyle("kt-title", parent=_BASE, fontName=fonts.BOLD, fontSize=17, leading=21)
_SECTION = ParagraphStyle(
    "kt-section",
    parent=_BASE,
    fontName=fonts.BOLD,
    fontSize=10,
    leading=13,
    spaceBefore=8,
    spaceAfter=3,
    textColor=ACCENT,
)

_TABLE_COMMANDS: list[tuple[object, ...]] = [
    ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 8),
    ("FONT", (0, 0), (-1, 0), fonts.BOLD, 8),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("TEXTCOLOR", (0, 0), (-1, 0), ACCENT),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
]


def _style(*extra: tuple[object, ...]) -> TableStyle:
    return TableStyle([*_TABLE_COMMANDS, *extra])  # type: ignore[list-item]


def _p(text: str, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(escape(text), style)


def _lines(label: str, values: list[tuple[str, str]]) -> list[Paragraph]:
    """A labelled block: a heading, then "Field: value" lines (blank values are left out)."""
    block = [Paragraph(escape(label.upper()), _HEAD)]
    for name, value in values:
        if value:
            block.append(Paragraph(f"<font color='#5b6770'>{escape(name)}</font>  {escape(value)}", _BASE))
    return block


def _address(address: Address) -> str:
    return ", ".join(address.lines())


def _provider_block(bill: Superbill) -> list[Paragraph]:
    provider: ProviderRecord = bill.provider
    clinic = bill.clinic
    tin = clinic.tin if clinic and clinic.tin else provider.tin
    license_text = " ".join(p for p in (provider.license_number, provider.license_state) if p)
    values = [
        ("Rendering provider", provider.display_name),
        ("NPI (individual)", provider.npi),
        ("Practice", clinic.name if clinic else ""),
        ("NPI (group)", clinic.npi if clinic else ""),
        ("TIN/EIN", tin),
        ("Taxonomy", provider.taxonomy),
        ("License", license_text),
        ("Address", _address(clinic.address if clinic and clinic.address.line1 else provider.address)),
        ("Phone", (clinic.phone if clinic and clinic.phone else provider.phone)),
    ]
    return _lines("Provider", values)


def _patient_block(bill: Superbill) -> list[Paragraph]:
    patient = bill.patient
    values = [
        ("Name", patient.legal_name),
        ("Date of birth", patient.date_of_birth.isoformat() if patient.date_of_birth else ""),
        ("Sex", patient.sex.label if patient.sex.value != "unknown" else ""),
        ("Address", _address(patient.address)),
        ("Phone", patient.phone),
    ]
    return _lines("Patient", values)


def _insurance_block(bill: Superbill) -> list[Paragraph]:
    coverage, payer = bill.coverage, bill.payer
    if coverage is None or payer is None:
        return [Paragraph("INSURANCE", _HEAD), _p("No insurance on file", _SMALL)]
    holder = coverage.policyholder_name if coverage.relationship.value != "self" else bill.patient.legal_name
    values = [
        ("Plan", payer.name),
        ("Member ID", coverage.member_id),
        ("Group", coverage.group_number),
        ("Policyholder", holder),
        ("Relationship", coverage.relationship.label),
        ("Holder's birth date", coverage.policyholder_dob.isoformat() if coverage.policyholder_dob else ""),
        ("Referring provider", " ".join(p for p in (bill.referring_name, bill.referring_npi) if p)),
        ("Prior authorization", bill.prior_authorization),
    ]
    return _lines("Insurance", values)


def _money(amount: Decimal) -> str:
    # Plain strings draw far faster than Paragraphs; right alignment comes from the table style.
    return format_usd(amount)


def build_story(bill: Superbill) -> list[Flowable]:
    width = LETTER[0] - 2 * MARGIN - 12  # the frame pads 6 pt on each side
    period = bill.period
    period_text = (
        f"Services {period[0].isoformat()} to {period[1].isoformat()}"
        if period and period[0] != period[1]
        else f"Service date {period[0].isoformat()}"
        if period
        else ""
    )
    heading = Table(
        [
            [
                [_p("Superbill", _TITLE), _p("Itemized statement for insurance reimbursement", _SMALL)],
                [
                    _p(f"Statement {bill.statement_number}", _STATEMENT),
                    _p(
                        f"Issued {bill.issued_on.isoformat()}"
                        + (f" · version {bill.version}" if bill.version > 1 else ""),
                        _CELL_RIGHT,
                    ),
                    _p(period_text, _CELL_RIGHT),
                ],
            ]
        ],
        colWidths=[width * 0.55, width * 0.45],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    parties = Table(
        [[_provider_block(bill), _patient_block(bill), _insurance_block(bill)]],
        colWidths=[width * 0.36, width * 0.30, width * 0.34],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
            ]
        ),
    )
    diagnoses = Table(
        [["Pointer", "ICD-10-CM", "Diagnosis"]]
        + [[chr(ord("A") + i), d.code, _p(d.description, _CELL)] for i, d in enumerate(bill.diagnoses)],
        colWidths=[16 * mm, 24 * mm, width - 40 * mm],
        repeatRows=1,
        style=_style(),
    )
    rows: list[list[object]] = [
        [
            "Date",
            "POS",
            "Code",
            "Mod.",
            "Description",
            "Dx",
            "Units",
            "Charge",
        ]
    ]
    for line in bill.lines:
        description = line.description
        if line.ndc:
            quantity = ""
            if line.ndc_quantity is not None:
                unit = NDC_UNIT_WORDS.get(line.ndc_unit, line.ndc_unit)
                quantity = f", {line.ndc_quantity.normalize():f} {unit} ({line.ndc_unit})"
            description = f"{description} — NDC {line.ndc}{quantity}"
        rows.append(
            [
                line.service_date.isoformat(),
                line.place_of_service,
                line.code,
                " ".join(line.modifiers),
                _p(description, _CELL),
                line.pointers,
                str(line.units),
                _money(line.charge),
            ]
        )
    services = Table(
        rows,
        repeatRows=1,
        style=_style(("ALIGN", (6, 0), (7, -1), "RIGHT")),
        colWidths=[20 * mm, 10 * mm, 14 * mm, 17 * mm, width - 109 * mm, 12 * mm, 12 * mm, 24 * mm],
    )
    totals = Table(
        [
            [_p("Total charges", _CELL), _money(bill.total_charges)],
            [_p("Amount paid", _CELL), _money(bill.total_paid)],
            [
                Paragraph("<b>Balance due</b>", _CELL),
                Paragraph(f"<b>{escape(format_usd(bill.balance))}</b>", _CELL_RIGHT),
            ],
        ],
        colWidths=[40 * mm, 30 * mm],
        hAlign="RIGHT",
        style=TableStyle(
            [
                ("LINEABOVE", (0, 2), (-1, 2), 0.8, INK),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (1, 0), (1, -1), fonts.REGULAR, 8),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
    story: list[Flowable] = [
        heading,
        parties,
        _p("Diagnoses", _SECTION),
        diagnoses,
        _p("Services", _SECTION),
        services,
        Spacer(1, 4),
        totals,
    ]
    if bill.claim_notes:
        # Addressed to the payer (CMS-1500 item 19 / NTE), like the REMS site Medicare asks for.
        story += [_p("Additional claim information (item 19)", _SECTION)]
        story += [_p(note, _BASE) for note in bill.claim_notes]
    if bill.payments:
        payments = Table(
            [
                [
                    "Date paid",
                    "Method",
                    "Reference",
                    "Amount",
                ]
            ]
            + [
                [
                    p.paid_on.isoformat(),
                    p.method.label,
                    p.reference,
                    _money(p.amount),
                ]
                for p in bill.payments
            ],
            colWidths=[28 * mm, 40 * mm, width - 96 * mm, 28 * mm],
            repeatRows=1,
            style=_style(("ALIGN", (3, 0), (3, -1), "RIGHT")),
        )
        story += [_p("Payments received (proof of payment)", _SECTION), payments]
    signature = Table(
        [["", "", ""], [_p("Provider signature", _SMALL), "", _p("Date", _SMALL)]],
        colWidths=[width * 0.55, width * 0.1, width * 0.35],
        rowHeights=[14 * mm, None],
        style=TableStyle(
            [
                ("LINEBELOW", (0, 0), (0, 0), 0.6, INK),
                ("LINEBELOW", (2, 0), (2, 0), 0.6, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    story += [
        Spacer(1, 8),
        KeepTogether(
            [
                _p(
                    "I certify that the services listed were medically necessary and were provided by me "
                    "or under my supervision, and that the payments shown were received.",
                    _SMALL,
                ),
                signature,
            ]
        ),
    ]
    return story


def render_superbill(bill: Superbill, *, draft: bool = False) -> bytes:
    """The superbill as PDF bytes; ``draft`` stamps DRAFT on every page."""
    fonts.register()
    period = bill.period
    header = f"Superbill {bill.statement_number} · {bill.patient.legal_name}"
    footer = (
        f"Statement {bill.statement_number} · {bill.patient.legal_name} · "
        f"{bill.provider.display_name}"
        + (f" · {period[0].isoformat()}–{period[1].isoformat()}" if period else "")
    )
    return build_pdf(
        build_story(bill),
        title=f"Superbill {bill.statement_number}",
        subject="Superbill",
        header=header,
        footer=footer,
        draft=draft,
    )
