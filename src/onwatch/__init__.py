"""onwatch: reliability promises as running machinery."""
