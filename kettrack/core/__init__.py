"""Domain rules with no Qt and no database: money, codes, validation, records."""
