"""Agreements (convenios): their content, parties, signatories and lifecycle."""
