"""Providers of the NAS family (file systems as directories of the backend's NAS twin)."""
