"""`/docs` (Swagger UI) and `/redoc` (ReDoc) with their scripts and styles served by the service
itself: a government network without internet access renders them too, and no page of the
service loads anything from a third party. The files come from the `fastapi-offline` package
(MIT), which ships them; nothing else of it is used."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = Path(fastapi_offline.__file__).parent / "static"
_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
_PREFIX = "/docs/assets"
TITLE = "convenios — API"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=TITLE,
        swagger_js_url=f"{_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{_PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{_PREFIX}/favicon.png",
    )


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=TITLE,
        redoc_js_url=f"{_PREFIX}/redoc.standalone.js",
        redoc_favicon_url=f"{_PREFIX}/favicon.png",
        with_google_fonts=False,
    )


@router.get(_PREFIX + "/{name}")
def asset(name: str) -> FileResponse:
    """One of the four files, by name; nothing else of the disk is reachable."""
    if name not in _TYPES:
        raise HTTPException(status_code=404)
    return FileResponse(
        ASSETS / name,
        media_type=_TYPES[name],
        # The files change only with the package: browsers may keep them a day.
        headers={"Cache-Control": "public, max-age=86400"},
    )
