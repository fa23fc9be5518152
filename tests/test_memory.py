"""The API process stays light: the libraries only the workers use are not imported by it.

WeasyPrint, pyHanko, pypdf and openpyxl cost the API process some 65 MB it never uses (issue 15:
an idle API process peaks at no more than 150 MB, `make bench-memory`). The jobs the API builds
import them in their ``run``, in a worker; the workers' forkserver preloads them
(`app.documents.runners.WORKER_MODULES`). These tests guard that shape, not a figure: an import
that drags a library back into the API process fails here, naming the chain of the project's
modules that imported it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from app.documents.runners import WORKER_MODULES

ROOT = Path(__file__).resolve().parent.parent

# Libraries the API process must not import. boto3 is imported only with s3:// storage;
# cryptography only once trust roots are read.
WORKERS_ONLY = ("weasyprint", "pyhanko", "pyhanko_certvalidator", "pypdf", "openpyxl")
ON_DEMAND = ("boto3", "botocore", "cryptography")

# Imports the modules of argv[1] with a meta-path finder that notes, for the first import of
# each library of argv[2], the files then executing (the project's, and the libraries' under
# site-packages): who imported it, through what.
_PROBE = """
import json, sys, traceback

modules, watched, root = json.loads(sys.argv[1]), set(json.loads(sys.argv[2])), sys.argv[3]
chains = {}


def where(frame):
    _, packages, library = frame.filename.partition("/site-packages/")
    if packages:
        return f"{library}:{frame.lineno}"
    if frame.filename.startswith(root + "/app/"):
        return f"{frame.filename[len(root) + 1:]}:{frame.lineno}"
    return None


class Watch:
    def find_spec(self, name, path=None, target=None):
        library = name.partition(".")[0]
        if library in watched and library not in chains:
            chains[library] = [f for f in map(where, traceback.extract_stack()) if f]
        return None


sys.meta_path.insert(0, Watch())
for module in modules:
    __import__(module)
print(json.dumps({library: chains.get(library) for library in sorted(watched)}))
"""


def _imported(modules: list[str], libraries: tuple[str, ...]) -> dict[str, list[str] | None]:
    """Which of ``libraries`` a fresh interpreter imports with ``modules``, and through what."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(modules), json.dumps(libraries), str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ,
        timeout=120,
        check=True,
    )
    found: dict[str, list[str] | None] = json.loads(done.stdout)
    return found


def test_the_api_process_imports_no_library_only_workers_use() -> None:
    # What `convenios serve` imports: the command, then the application.
    found = _imported(["app.cli", "app.main"], WORKERS_ONLY + ON_DEMAND)
    dragged = {library: chain for library, chain in found.items() if chain is not None}
    assert not dragged, "the API process imports " + "; ".join(
        f"{library} through {' → '.join(chain) or 'no module of the project'}"
        for library, chain in dragged.items()
    )


def test_the_workers_preload_the_libraries_their_jobs_use() -> None:
    # Workers start warm: the forkserver imports these modules, and with them the libraries.
    found = _imported(WORKER_MODULES, ("weasyprint", "pyhanko", "pypdf"))
    assert all(chain is not None for chain in found.values()), found
