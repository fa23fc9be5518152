"""The baseline of `bench/read.py`: a bare FastAPI application whose one endpoint answers
constant JSON — what the same server does with no work behind the answer."""

from typing import Any

from fastapi import FastAPI

app = FastAPI()
_ANSWER = {"id": 1, "folio": "CONV-2026-0000001", "status": "active"}


@app.get("/constant")
async def constant() -> dict[str, Any]:
    return _ANSWER
