"""API keys, roles and the caller of each request."""
