"""Links to sign never reach a log: the server's access log shows `/firmar/…` instead of the
token, which would open the signing page to whoever reads the log."""

import logging
import re

_LINK = re.compile(r"/firmar/[A-Za-z0-9_-]{20,}")


class HideLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _LINK.sub("/firmar/…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _LINK.sub("/firmar/…", record.msg)
        return True


HIDE_LINKS = HideLinks()


def hide_links() -> None:
    """Filter the access log of uvicorn (`convenios serve`) and the service's own."""
    for name in ("uvicorn.access", "uvicorn.error", "convenios"):
        logging.getLogger(name).addFilter(HIDE_LINKS)
