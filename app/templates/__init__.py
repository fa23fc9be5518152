"""Convenio templates: named sources whose versions never change."""
