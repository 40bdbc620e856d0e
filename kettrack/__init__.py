"""kettrack: log ketamine infusions, issue superbills, and follow insurance claims to payment."""

__version__ = "0.1.0"
