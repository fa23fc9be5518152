"""Benchmark: PAdES signatures on a 10-page and a 40-page convenio, against rendering it.

Run with `make bench`. Three e.firma-format signers (the demo PKI of `app/signatures/demo_pki.py`,
never real credentials) sign one after another into one PDF, in this process: the service
signing for a signatory (`SignJob`), accepting a PDF signed on the signatory's machine
(`AcceptJob`), and validating the three signatures (`VerifyJob`). The public verification of a
signed PDF validates once and then answers from its cache; "verify again" is that. Each figure
is compared with rendering the same convenio in the same run: the ratios are what count.
"""

import hashlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import clock
from app.documents.pdf import render_pdf
from app.signatures import verification
from app.signatures.demo_pki import DEMO_PASSWORD, Pki
from app.signatures.pades import AcceptJob, Credentials, SignJob, VerifyJob
from app.templates.service import shipped
from bench.sample import context

RUNS = 5
SIGNERS = (
    ("Teresa Hernández García", "MTB850101AB1 / HEGT7610034S2"),
    ("Luis Ramírez Ortega", "RAOL7005128K3"),
    ("Ana Sofía Medina Cruz", "MECA8203217Q1"),
)


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


# Peak memory of a worker validating: a fresh interpreter, as a worker process is.
_PEAK = """
import resource, sys
from app.signatures.pades import VerifyJob
from app.signatures.demo_pki import Pki
VerifyJob(pdf=open(sys.argv[1], "rb").read(), trust=Pki().trust).run()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_memory_mb(pdf: bytes) -> int:
    root = Path(__file__).resolve().parent.parent
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", _PEAK, file.name], cwd=root, capture_output=True, check=True
        )
    return int(out.stdout.split()[-1])


def main() -> None:
    pki = Pki()
    password = DEMO_PASSWORD
    firmas = [pki.efirma(name, rfc, None, password=password) for name, rfc in SIGNERS]
    source = shipped()["coordinacion"][1]
    print(
        f"{'convenio':>10} {'pages':>5} {'render':>8} {'sign':>8} {'ratio':>6} {'accept':>8} "
        f"{'verify 3':>9} {'ratio':>6} {'verify again':>13} {'peak':>7}"
    )
    for target, clauses, paragraphs in (("10 pages", 21, 1), ("40 pages", 62, 4)):
        sample = context(clauses, paragraphs)
        rendered = render_pdf(source.html, source.css, sample, max_pages=500)
        render = median_seconds(
            lambda sample=sample: render_pdf(source.html, source.css, sample, max_pages=500)
        )

        def sign(pdf: bytes, index: int) -> bytes:
            firma = firmas[index]
            job = SignJob(
                pdf=pdf,
                credentials=Credentials(
                    password=firma.password, certificate=firma.cer, private_key=firma.key
                ),
                trust=pki.trust,
                at=clock.now(),
                field_name=f"Firma{index}",
                reason="Firma del convenio",
            )
            signed: bytes = job.run().pdf
            return signed

        once = sign(rendered.pdf, 0)
        twice = sign(once, 1)
        signing = median_seconds(lambda twice=twice: sign(twice, 2))
        thrice = sign(twice, 2)
        accept = median_seconds(
            lambda twice=twice, thrice=thrice: AcceptJob(
                base=twice, signed=thrice, trust=pki.trust, at=clock.now()
            ).run()
        )
        verify = median_seconds(lambda thrice=thrice: VerifyJob(pdf=thrice, trust=pki.trust).run())

        def run_here(job: Any) -> Any:
            return job.run()

        digest = hashlib.sha256(thrice).hexdigest()

        def public(pdf: bytes = thrice, digest: str = digest) -> object:
            return verification.reports(pdf, sha256=digest, trust=pki.trust, crypto=run_here)

        public()  # validates, and fills the cache
        again = median_seconds(public, runs=100)
        print(
            f"{target:>10} {rendered.pages:>5} {render:>7.3f}s {signing:>7.3f}s "
            f"{signing / render:>5.2f}x {accept:>7.3f}s {verify:>8.3f}s {verify / render:>5.2f}x "
            f"{again * 1000:>10.3f}ms {peak_memory_mb(thrice):>5}MB"
        )
    this = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"(peak: a fresh process validating the three signatures; this one: {this} MB)")


if __name__ == "__main__":
    main()
