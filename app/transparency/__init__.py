"""What the public may see of a convenio: classified parts, versiones públicas and their public
address."""
