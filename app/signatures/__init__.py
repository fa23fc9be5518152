"""Signatures: requests, the three ways to sign, and PAdES validation."""
