"""The tamper-evident history of every write."""
