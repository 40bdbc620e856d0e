"""The one app-wide change signal: every write says which kinds of record changed, and each view
decides for itself whether to refresh (Anki's ``operation_did_execute``). No view reaches into another."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

PATIENT = "patient"
PROVIDER = "provider"
PAYER = "payer"
COVERAGE = "coverage"
TREATMENT = "treatment"
INFUSION = "infusion"
SETTINGS = "settings"
SUPERBILL = "superbill"
# Codes, fee schedules and a session's service lines.
BILLING = "billing"
# Claims, their events, attachments, appeal letters, prior authorizations and payer rules.
CLAIM = "claim"


class ChangeBus(QObject):
    """Carries ``changed(frozenset[str])`` after each write, naming the kinds of record touched."""

    changed = Signal(object)

    def announce(self, *kinds: str) -> None:
        self.changed.emit(frozenset(kinds))
