"""Pages for people, served by the service itself in Spanish: the signing page that an
invitation's link opens, and the public verification page of a printed convenio's QR code."""
