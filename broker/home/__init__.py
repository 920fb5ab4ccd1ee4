"""Each role's first page after signing in: what needs them today."""
