"""ReportLab documents built from plain data of kettrack.core (superbills, appeal letters)."""
