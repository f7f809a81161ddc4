"""Not deployed: src/tests/ is listed in .funignore."""
