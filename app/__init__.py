"""convenios: the service where intergovernmental agreements live."""
