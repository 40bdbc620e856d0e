"""Documents drawn for a look before anything is issued: the superbill as it would print, from its
assembled data alone (no database), so a face can render it on any thread, in parallel with the
database work. Issuing (which renders and stores the final copy) is ``SuperbillService.issue``."""

from __future__ import annotations

from kettrack.core.superbill import Superbill
from kettrack.reports.superbill import render_superbill


def superbill_preview(bill: Superbill, *, draft: bool) -> bytes:
    """The PDF of an assembled superbill, unnumbered (``draft`` adds the DRAFT watermark)."""
    return render_superbill(bill, draft=draft)
