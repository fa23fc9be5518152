"""Convenio documents: templates, es-MX formatting, rendering and storage."""
