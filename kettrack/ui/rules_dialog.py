"""A payer's own rules: how long to file, each appeal level's time, when a notice counts as received,
how long the payer takes to decide, and when to follow up. Each default shows its source; saving
marks the rules as the plan's own (confirmed), which removes the "default rule" mark from deadlines."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from kettrack.core.deadlines import DEFAULT_RULES, PayerRules, Period
from kettrack.core.enums import PayerKind
from kettrack.core.payer_rules import parse_period
from kettrack.core.problems import InvalidInput, Problem
from kettrack.ui import changes
from kettrack.ui.basics import tr
from kettrack.ui.changes import ChangeBus
from kettrack.ui.forms import ErrorForm
from kettrack.ui.operations import change, query

if TYPE_CHECKING:
    from kettrack.core.payer_rules import RuleOverrides
    from kettrack.core.records import PayerRecord
    from kettrack.services.workspace import Workspace

DAY_RULES = (
    ("presumed_receipt_days", "Notice counts as received after (days):"),
    ("claim_decision_days", "Payer decides a claim within (days):"),
    ("follow_up_first_days", "First follow-up after submission (days):"),
    ("follow_up_every_days", "Then follow up every (days):"),
)


def _words(period: Period) -> str:
    return period.words()


class PayerRulesDialog(QDialog):
    """The plan's rules, each beside its default and source; read and saved on the database worker."""

    def __init__(self, ws: Workspace, bus: ChangeBus, payer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.bus, self.payer_id = ws, bus, payer_id
        self.setObjectName("payer_rules_dialog")
        self.setWindowTitle(tr("Rules"))
        self.kind: PayerKind | None = None
        self.overrides: RuleOverrides | None = None
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.form = ErrorForm(self, stretch=False)
        self.filing = QLineEdit()
        self.filing.setObjectName("rule_filing")
        self.form.add_row("filing", tr("File the claim within:"), self.filing)
        self.filing_default = QLabel()
        self.filing_default.setWordWrap(True)
        self.form.layout_.addRow("", self.filing_default)
        self.source = QLineEdit()
        self.source.setPlaceholderText(tr("where the plan says so, e.g. 'Member handbook 2026, p. 41'"))
        self.form.add_row("filing_source", tr("Source:"), self.source)
        self.levels: dict[str, QLineEdit] = {}
        self.days: dict[str, QLineEdit] = {}
        self.confirmed = QCheckBox(tr("These are the plan's own rules (confirmed)"))
        self.confirmed.setObjectName("rules_confirmed")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.setEnabled(False)  # until the rules are in
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        payers, claims = ws.payers, ws.claims
        query(
            self,
            lambda: (payers.get(payer_id), *claims.rules(payer_id)),
            self._loaded,
            what="read payer rules",
        )

    def _loaded(self, loaded: tuple[PayerRecord, PayerRules, RuleOverrides]) -> None:
        payer, rules, self.overrides = loaded
        self.kind = payer.kind
        self.setWindowTitle(tr("Rules of {0}").format(payer.name))
        defaults = DEFAULT_RULES[payer.kind]
        self.intro.setText(
            tr(
                "kettrack starts from the rules for {0} plans, with their sources. Check them against the "
                "plan's documents (or your denial letter) and change what differs."
            ).format(payer.kind.label.lower())
        )
        self.filing.setText(_words(rules.filing))
        self.filing_default.setText(
            tr("Default: {0} ({1})").format(_words(defaults.filing), defaults.filing_source)
        )
        self.source.setText(self.overrides.filing_source)
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
        for name, label in DAY_RULES:
            value = getattr(rules, name)
            edit = QLineEdit("" if value is None else str(value))
            edit.setMaximumWidth(80)
            self.days[name] = edit
            self.form.add_row(name, tr(label), edit)
        self.confirmed.setChecked(rules.confirmed)
        self.form.add_row("confirmed", "", self.confirmed)
        self.buttons.setEnabled(True)

    def save(self) -> None:
        if self.kind is None or self.overrides is None:
            return  # not loaded yet (Save is disabled until then)
        problems: list[Problem] = []
        defaults = DEFAULT_RULES[self.kind]
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
        claims, payer_id = self.ws.claims, self.payer_id
        overrides = replace(self.overrides, **changes_)  # type: ignore[arg-type]
        change(
            self,
            lambda: claims.set_rules(payer_id, overrides),
            lambda _saved: self.accept(),
            what="save payer rules",
            bus=self.bus,
            changes=(changes.PAYER, changes.CLAIM),
            form=self.form,
        )
