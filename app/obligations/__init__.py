"""Obligations: what each party owes under an agreement, by when, and proof it was done."""
