"""Parties to agreements and their representatives."""
