"""Use cases: the one room that combines repositories (kettrack.store), domain rules (kettrack.core)
and documents (kettrack.reports). The window and the command line call these, and nothing below them."""
