"""Record twins: types FC templates reference that have no local data plane (one generic provider)."""
