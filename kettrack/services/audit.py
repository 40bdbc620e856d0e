"""The audit log for the faces: reading it, checking it against its seals and anchors, and writing
the entries for acts that happen outside a unit of work (a view, an export, a backup)."""

from __future__ import annotations

from kettrack.store.audit import ACTIONS, AuditLog
from kettrack.store.audit_anchor import AuditVerdict

__all__ = ["ACTIONS", "AuditLog", "AuditVerdict"]
