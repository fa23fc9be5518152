"""Multipart forms held to the rules of JSON bodies.

FastAPI reads a form's text fields without the checks a JSON body's schema gets: an empty field
counts as absent (so ``note=""`` slipped past ``minLength: 1``), and NUL or other control
characters reach the database (a 500 on PostgreSQL) or the documents. Every route that takes a
form declares `CheckedForm` as its last parameter — after the caller and the object it acts on,
so that 401, 403 and 404 still come before a 422 — and the check works from the route's own
declaration of its fields. A test holds every form route to it.
"""

from typing import Annotated

from fastapi import Depends, Request, UploadFile
from fastapi.routing import APIRoute
from pydantic import WithJsonSchema

from app.errors import InvalidParam, Unprocessable
from app.schemas import storable_text

_MULTIPART = "multipart/form-data"


def _form_fields(route: APIRoute) -> frozenset[str]:
    return frozenset(param.alias for param in route.dependant.body_params)


async def check_form(request: Request) -> None:  # async: it only reads what is parsed
    """Refuse (422) a form with an unknown field, an empty text field, or text that a JSON body
    could not carry either; the route runs only on a form that passes."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    route = request.scope.get("route")
    if media_type != _MULTIPART or not isinstance(route, APIRoute) or not route.body_field:
        return
    known = _form_fields(route)
    errors: list[InvalidParam] = []
    for name, value in (await request.form()).multi_items():  # parsed once, by FastAPI
        where = f"body.{name}"
        if name not in known:
            errors.append(InvalidParam(field=where, message="unknown field"))
        elif isinstance(value, str):
            if not value.strip():  # as a JSON body's text, which is stripped first
                errors.append(InvalidParam(field=where, message="may not be empty; leave it out"))
                continue
            try:
                storable_text(value)
            except ValueError as error:
                errors.append(InvalidParam(field=where, message=str(error)))
    if errors:
        raise Unprocessable.of(errors)


CheckedForm = Annotated[None, Depends(check_form)]

# A file the service takes only as a PDF (anything else is a 415): the document says so, beside
# the `format: binary` that makes generated clients send it as a file.
PdfUpload = Annotated[
    UploadFile,
    WithJsonSchema({"type": "string", "format": "binary", "contentMediaType": "application/pdf"}),
]
