"""How every page is answered: Jinja2 templates with autoescaping, and the headers that keep a
page to itself — no script, style or image from anywhere but the service, no inline script,
never inside another site's frame, and no `Referer` that could carry an address onwards."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.documents.formatting import long_date

HERE = Path(__file__).parent
STATIC = HERE / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters["long_date"] = long_date


def render(name: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(name).render(**context)


def page(
    name: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """The template ``name`` as a page, with the page headers."""
    return HTMLResponse(
        render(name, **context), status_code=status, headers={**PAGE_HEADERS, **(headers or {})}
    )


def problem_page(
    status: int, title: str, message: str, *, advice: str | None = None, **headers: str
) -> HTMLResponse:
    """A page that says what went wrong and what to do, never a trace."""
    return page(
        "problema.html",
        status=status,
        headers=headers,
        title=title,
        message=message,
        advice=advice,
    )


# Statuses a page can end in without its route's own page, in words.
_STATUS_PAGES = {
    400: ("Solicitud no válida", "El navegador envió algo que no se puede leer."),
    403: ("Acceso no permitido", "No tiene acceso a esta página."),
    404: ("Página no encontrada", "La dirección no corresponde a ninguna página."),
    405: ("Solicitud no válida", "Esta página no recibe solicitudes de ese tipo."),
    413: ("Archivo demasiado grande", "El archivo excede el tamaño máximo permitido."),
    415: ("Formato no válido", "Envíe el formulario desde la página."),
    422: ("Datos no válidos", "Revise los datos del formulario e intente de nuevo."),
    429: ("Demasiados intentos", "Espere unos minutos antes de intentar de nuevo."),
    503: ("Servicio ocupado", "Intente de nuevo en unos momentos."),
}
PAGE_PREFIXES = ("/firmar", "/verificar", "/paginas/")


def error_page(request: Request, status: int) -> HTMLResponse | None:
    """The page for a status a page's request ended in (None outside the pages)."""
    path = request.url.path
    if not any(path == p.rstrip("/") or path.startswith(p) for p in PAGE_PREFIXES):
        return None
    title, message = _STATUS_PAGES.get(
        status, ("Error del servicio", "Ocurrió un error inesperado. Intente más tarde.")
    )
    return problem_page(status, title, message)
