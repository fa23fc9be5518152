"""The pages' own files (style sheet, scripts), by name: nothing else of the disk is reachable."""

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from app.pages.html import STATIC

_TYPES = {
    "paginas.css": "text/css",
    "efirma.js": "text/javascript",
    "node-forge/forge.min.js": "text/javascript",
    "node-forge/LICENSE": "text/plain",
}

router = APIRouter(include_in_schema=False)


@router.get("/paginas/recursos/{name:path}")
def asset(name: str) -> FileResponse:
    if name not in _TYPES:
        raise HTTPException(status_code=404)
    return FileResponse(
        STATIC / name,
        media_type=_TYPES[name],
        # They change only with the service: a browser may keep them an hour.
        headers={"Cache-Control": "public, max-age=3600"},
    )
