"""The tests' PKI: the demo PKI of `app.signatures.demo_pki`, built once per run for the
moment the run started (building it generates a few RSA keys)."""

import functools

from app.signatures.demo_pki import EFirma, Pki
from tests.clock import RUN_STARTED

__all__ = ["EFirma", "Pki", "test_pki"]


@functools.cache
def test_pki() -> Pki:
    """The run's PKI, valid around `RUN_STARTED` (the moment every test starts at)."""
    return Pki(now=RUN_STARTED)


test_pki.__test__ = False  # type: ignore[attr-defined]  # a factory, not a pytest test
