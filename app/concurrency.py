"""ETags from row versions, and `If-Match` preconditions."""

from typing import Annotated

from fastapi import Header

from app.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The ETag you last read; a stale one gets 412 and changes nothing.",
    ),
]


def etag(version: int) -> str:
    return f'"v{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """412 unless ``if_match`` is absent, ``*`` or names the current version."""
    if if_match is None or if_match.strip() == "*":
        return
    offered = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if etag(version) not in offered:
        raise PreconditionFailed(
            f"The resource has changed (it is now at {etag(version)}); read it again and retry.",
            headers={"ETag": etag(version)},
        )
