"""Letter commands: draft a letter of any kind from the record (an appeal or external review request
fitted to the denial, a letter of medical necessity, a prior authorization request), show and edit
its text, preview it as a PDF, and issue it. A draft files nothing; issuing an appeal files it on
the claim. Also the evidence library that "experimental" appeals cite.

The text is edited as a plain file: parts are separated by blank lines, and a ``## Title`` line
starts a titled part. Advice about the draft is printed apart, marked "advice:", and never goes into
the letter.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kettrack.cli.copies import copy_out, output_target
from kettrack.cli.kit import (
    DatabaseOptions,
    UsageError,
    Values,
    WithWorkspace,
    action_group,
    claim_id,
    command_maker,
    money,
    table,
)

if TYPE_CHECKING:
    from kettrack.core.letter_draft import LetterDraftView
    from kettrack.services.letter_drafts import LetterService
    from kettrack.services.workspace import Workspace

_KINDS = "appeal, external_review, medical_necessity, prior_authorization"
_ARGUMENTS = "medical_necessity, experimental, authorization, timely_filing, network_gap, general"


def _letters(ws: Workspace) -> LetterService:
    from kettrack.services.letter_drafts import LetterService

    return LetterService(ws.appeals)


def _print_draft(draft: LetterDraftView, *, text: bool = True) -> None:
    from kettrack.core.letter_draft import blocks_to_text

    state = f"issued as {draft.issued_number}" if draft.issued else "draft"
    print(f"letter draft {draft.id}: {draft.kind.label} ({state}) {draft.about}".rstrip())
    if draft.arguments:
        print("arguments: " + ", ".join(a.value for a in draft.arguments))
    if draft.amount_in_dispute is not None:
        print(f"amount in dispute: {money(draft.amount_in_dispute)}")
    # Advice goes to stderr: a letter's text redirected to a file never carries it.
    for line in draft.advice:
        print(f"advice: {line}", file=sys.stderr)
    for gap in draft.gaps:
        if gap.fix:
            print(f"fix: {gap.fix}", file=sys.stderr)
    if text:
        print("\n" + blocks_to_text(draft.blocks))


def letters_draft(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.letter_draft import blocks_to_text, parse_lines
    from kettrack.core.letter_kinds import Argument, LetterKind
    from kettrack.core.problems import InvalidInput

    v = Values()
    kind = v.choice(LetterKind, args.kind, "kind", LetterKind.APPEAL)
    patient = v.record_id(args.patient, "patient")
    coverage = v.record_id(args.coverage, "coverage")
    units = v.whole(args.units, "units")
    period_from = v.day(args.date_from, "from")
    period_to = v.day(args.date_to, "to")
    arguments: list[Argument] = []
    for name in (args.argue or "").replace(" ", "").split(","):
        if name:
            try:
                arguments.append(Argument(name))
            except ValueError:
                v.add("argue", f"{name!r} is not one of: {_ARGUMENTS}")
    lines: tuple[int, ...] = ()
    if args.lines:
        try:
            lines = parse_lines(args.lines)
        except InvalidInput as exc:
            v.problems.extend(exc.problems)
    v.done()
    claim = claim_id(args.claim) if args.claim else None
    output = output_target(args.text_out, args.force, "letter.txt")
    draft = _letters(ws).start(
        kind,
        claim_id=claim,
        patient_id=patient,
        coverage_id=coverage,
        arguments=arguments,
        disputed=lines,
        codes=args.codes or "",
        units=units,
        period_from=period_from,
        period_to=period_to,
    )
    if output is not None:
        from kettrack.services.saving import write_private

        write_private(output, blocks_to_text(draft.blocks) + "\n", overwrite=True)
        _print_draft(draft, text=False)
        print(f"the text is in {output}: edit it, then kettrack letters edit {draft.id} --text {output}")
    else:
        _print_draft(draft)
    print(
        f"nothing was filed; preview: kettrack letters preview {draft.id} FILE.pdf; "
        f"issue: kettrack letters issue {draft.id}",
        file=sys.stderr,
    )
    return 0


def letters_show(ws: Workspace, args: argparse.Namespace) -> int:
    _print_draft(_letters(ws).get(_id(args.id)))
    return 0


def letters_list(ws: Workspace, args: argparse.Namespace) -> int:
    claim = claim_id(args.claim) if args.claim else None
    drafts = _letters(ws).drafts(claim_id=claim)
    if not drafts:
        print("no letter drafts")
        return 0
    print(
        table(
            ["ID", "Kind", "Claim", "Patient", "First words"],
            [
                [
                    d.id,
                    d.kind.value,
                    d.claim_id or "",
                    d.patient_id,
                    (d.blocks[0].text[:50] if d.blocks else ""),
                ]
                for d in drafts
            ],
            right=[0],
        )
    )
    return 0


def letters_edit(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.letter_draft import blocks_from_text

    letters = _letters(ws)
    draft_id = _id(args.id)
    current = letters.get(draft_id)
    blocks = blocks_from_text(Path(args.text).read_text(encoding="utf-8"), current.blocks)
    saved = letters.save(draft_id, blocks, no_claim_number=True if args.no_claim_number else None)
    _print_draft(saved, text=False)
    print(f"saved the text of letter draft {draft_id} ({len(saved.blocks)} parts); nothing was filed")
    return 0


def letters_preview(ws: Workspace, args: argparse.Namespace) -> int:
    output = output_target(args.file, args.force, "preview.pdf")
    assert output is not None
    pdf = _letters(ws).preview_pdf(_id(args.id))
    copy_out("the preview", pdf, output, "free some space and try again")
    print(f"preview (marked DRAFT) written to {output}; nothing was filed")
    return 0


def letters_issue(ws: Workspace, args: argparse.Namespace) -> int:
    v = Values()
    on = v.day(args.date, "date") if args.date else ws.today()
    v.done()
    assert on is not None
    letters = _letters(ws)
    draft_id = _id(args.id)
    output = output_target(args.letter, args.force, "letter.pdf")
    issued = letters.issue(
        draft_id, issued_on=on, note=args.note or "", no_claim_number=True if args.no_claim_number else None
    )
    content = ws.appeals.letter_pdf(issued.id) if issued.kind.about_a_claim else letters.letter_pdf(issued.id)
    where = copy_out(issued.number, content, output, f"it is kept in the database (letter id {issued.id})")
    print(f"{issued.kind.label} {issued.number} issued{where}")
    if issued.claim_id is not None and issued.kind.about_a_claim:
        row = ws.claim_views.row(issued.claim_id)
        print(f"{row.number}: {row.status_text}")
    return 0


def letters_discard(ws: Workspace, args: argparse.Namespace) -> int:
    _letters(ws).discard(_id(args.id))
    print(f"letter draft {args.id} discarded")
    return 0


def evidence_list(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.letter_evidence import SEED_REFERENCES

    mine = _letters(ws).evidence()
    rows = [[r.id, r.drug.value if r.drug else "any", r.citation] for r in mine]
    rows += [["kettrack", r.drug.value if r.drug else "any", r.citation] for r in SEED_REFERENCES]
    print(table(["ID", "Drug", "Reference"], rows))
    return 0


def evidence_add(ws: Workspace, args: argparse.Namespace) -> int:
    from kettrack.core.enums import Drug

    v = Values()
    drug = v.choice(Drug, args.drug, "drug", None)
    v.done()
    print(_letters(ws).add_evidence(args.citation, drug).id)
    return 0


def _id(text: str) -> int:
    v = Values()
    value = v.record_id(text, "id")
    v.done()
    if value is None:
        raise UsageError("id: give the draft's id (see kettrack letters list)")
    return value


def add_commands(
    commands: argparse._SubParsersAction[Any],
    database_options: DatabaseOptions,
    with_workspace: WithWorkspace,
) -> None:
    command = command_maker(commands, database_options, with_workspace)
    actions = action_group(
        commands, "letters", "letters to payers: draft, edit, preview, issue (a draft files nothing)"
    )
    sub = command(
        "draft", "draft a letter from the record and keep it (files nothing)", letters_draft, actions
    )
    sub.add_argument("--kind", help=f"{_KINDS} (default appeal)")
    sub.add_argument("--claim", metavar="CLAIM", help="the claim it is about (appeals: required)")
    sub.add_argument("--patient", metavar="ID", help="the patient (letters not about a claim)")
    sub.add_argument("--coverage", metavar="ID", help="the plan (default: the patient's primary)")
    sub.add_argument(
        "--argue", metavar="A,B", help=f"the appeal's arguments (default: from the denial): {_ARGUMENTS}"
    )
    sub.add_argument("--lines", metavar="1,3-4", help="the disputed claim lines (default: every line)")
    sub.add_argument("--codes", help="an authorization request's codes, like 'G2083 G2082'")
    sub.add_argument("--units", help="an authorization request's units")
    sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="an authorization's first day")
    sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="an authorization's last day")
    sub.add_argument("--text-out", metavar="FILE.txt", help="write the text here to edit it")
    sub.add_argument("--force", action="store_true", help="replace FILE.txt if it exists")
    sub = command("show", "a draft's text and the advice about it", letters_show, actions)
    sub.add_argument("id", metavar="DRAFT")
    command("list", "drafts not yet issued", letters_list, actions).add_argument("--claim", metavar="CLAIM")
    sub = command("edit", "replace a draft's text with an edited file", letters_edit, actions)
    sub.add_argument("id", metavar="DRAFT")
    sub.add_argument("--text", metavar="FILE.txt", required=True, help="parts split by blank lines; ## Title")
    sub.add_argument("--no-claim-number", action="store_true", help="confirm the payer gave no claim number")
    sub = command(
        "preview", "write the draft as a PDF marked DRAFT (files nothing)", letters_preview, actions
    )
    sub.add_argument("id", metavar="DRAFT")
    sub.add_argument("file", metavar="FILE.pdf")
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    sub = command("issue", "issue the draft (an appeal is filed on its claim)", letters_issue, actions)
    sub.add_argument("id", metavar="DRAFT")
    sub.add_argument("--date", metavar="YYYY-MM-DD", help="the day it is sent (default today)")
    sub.add_argument("--note", help="a note for the claim's timeline (not printed in the letter)")
    sub.add_argument("--no-claim-number", action="store_true", help="confirm the payer gave no claim number")
    sub.add_argument("--letter", metavar="FILE.pdf", help="also save the letter here")
    sub.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    sub = command("discard", "throw a draft away", letters_discard, actions)
    sub.add_argument("id", metavar="DRAFT")
    command("evidence", "the evidence library cited by 'experimental' appeals", evidence_list, actions)
    sub = command("evidence-add", "add a bibliographic reference; prints its id", evidence_add, actions)
    sub.add_argument("--citation", required=True, help="authors, title, journal, year;volume:pages")
    sub.add_argument("--drug", help="ketamine or esketamine (default: either)")
