"""A payer's own rules: how long to file, each appeal level's time, when a notice counts as received,
how long the payer takes to decide, and when to follow up. Each default shows its source; saving
marks the rules as the plan's own (confirmed), which removes the "default rule" mark from deadlines."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from kettrack.core.deadlines import DEFAULT_RULES, Period
from kettrack.core.payer_rules import parse_period
from kettrack.core.problems import InvalidInput, Problem
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ErrorForm

if TYPE_CHECKING:
    from kettrack.store.workspace import Workspace

DAY_RULES = (
    ("presumed_receipt_days", "Notice counts as received after (days):"),
    ("claim_decision_days", "Payer decides a claim within (days):"),
    ("follow_up_first_days", "First follow-up after submission (days):"),
    ("follow_up_every_days", "Then follow up every (days):"),
)


def _words(period: Period) -> str:
    return period.words()


class PayerRulesDialog(QDialog):
    def __init__(self, ws: Workspace, bus: ChangeBus, payer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.bus, self.payer_id = ws, bus, payer_id
        self.setObjectName("payer_rules_dialog")
        payer = ws.payers.get(payer_id)
        self.setWindowTitle(tr("Rules of {0}").format(payer.name))
        rules, self.overrides = ws.claims.rules(payer_id)
        defaults = DEFAULT_RULES[payer.kind]
        intro = QLabel(
            tr(
                "kettrack starts from the rules for {0} plans, with their sources. Check them against the "
                "plan's documents (or your denial letter) and change what differs."
            ).format(payer.kind.label.lower())
        )
        intro.setWordWrap(True)
        self.form = ErrorForm(self, stretch=False)
        self.filing = QLineEdit(_words(rules.filing))
        self.filing.setObjectName("rule_filing")
        self.form.add_row("filing", tr("File the claim within:"), self.filing)
        source = QLabel(tr("Default: {0} ({1})").format(_words(defaults.filing), defaults.filing_source))
        source.setWordWrap(True)
        self.form.layout_.addRow("", source)
        self.source = QLineEdit(self.overrides.filing_source)
        self.source.setPlaceholderText(tr("where the plan says so, e.g. 'Member handbook 2026, p. 41'"))
        self.form.add_row("filing_source", tr("Source:"), self.source)
        self.levels: dict[str, QLineEdit] = {}
        for level, default in zip(rules.levels, defaults.levels, strict=True):
            edit = QLineEdit(_words(level.period))
            edit.setObjectName(f"rule_level_{level.key}")
            self.levels[level.key] = edit
            self.form.add_row(f"level {level.key}", tr("{0} within:").format(level.name), edit)
            note = QLabel(
                tr("Default: {0} from {1} ({2})").format(
                    _words(default.period), default.anchor.value, default.source
                )
            )
            note.setWordWrap(True)
            self.form.layout_.addRow("", note)
        self.days: dict[str, QLineEdit] = {}
        for name, label in DAY_RULES:
            value = getattr(rules, name)
            edit = QLineEdit("" if value is None else str(value))
            edit.setMaximumWidth(80)
            self.days[name] = edit
            self.form.add_row(name, tr(label), edit)
        self.confirmed = QCheckBox(tr("These are the plan's own rules (confirmed)"))
        self.confirmed.setObjectName("rules_confirmed")
        self.confirmed.setChecked(rules.confirmed)
        self.form.add_row("confirmed", "", self.confirmed)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def save(self) -> None:
        problems: list[Problem] = []
        defaults = DEFAULT_RULES[self.ws.payers.get(self.payer_id).kind]
        changes_: dict[str, object] = {"confirmed": self.confirmed.isChecked()}
        try:
            filing = parse_period(self.filing.text(), "filing")
            changes_["filing"] = None if filing == defaults.filing else filing
        except InvalidInput as exc:
            problems += exc.problems
        changes_["filing_source"] = self.source.text().strip()
        levels = {}
        for level in defaults.levels:
            try:
                period = parse_period(
                    self.levels[level.key].text(), f"level {level.key}", month_end=level.period.month_end
                )
            except InvalidInput as exc:
                problems += exc.problems
                continue
            if (period.amount, period.unit) != (level.period.amount, level.period.unit):
                levels[level.key] = period
        changes_["levels"] = levels
        for name, _label in DAY_RULES:
            text = self.days[name].text().strip()
            if not text:
                changes_[name] = None
            elif text.isdigit() and len(text) <= 4:
                value = int(text)
                changes_[name] = None if value == getattr(defaults, name) else value
            else:
                problems.append(Problem(name, tr("write a number of days")))
        if problems:
            self.form.show_problems(problems)
            return
        try:
            self.ws.claims.set_rules(self.payer_id, replace(self.overrides, **changes_))  # type: ignore[arg-type]
        except InvalidInput as exc:
            self.form.show_problems(exc.problems)
            return
        self.bus.announce(changes.PAYER, changes.CLAIM)
        self.accept()
