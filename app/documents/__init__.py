"""Convenio documents: rendering, es-MX formatting, upload checks, storage and verification."""
