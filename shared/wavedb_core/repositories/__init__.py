"""SQL, and only SQL: every query of the server lives in this package (parameterised only)."""
