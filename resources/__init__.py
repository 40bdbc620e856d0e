"""Data files shipped with kettrack (icons, code tables); read them through kettrack.core.resources."""
