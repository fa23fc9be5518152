"""The agreement lifecycle as a state machine: pure functions, no database, no HTTP.

draft → in_review → approved → in_signature → active → expired | terminated, and cancelled
from any state before active. A reviewer can send an agreement back (in_review → draft,
approved → in_review), and a declined signature sends it from in_signature to in_review.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from app.models.enums import AgreementStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.IN_REVIEW, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.DRAFT, S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.IN_REVIEW, S.IN_SIGNATURE, S.CANCELLED}),
    S.IN_SIGNATURE: frozenset({S.IN_REVIEW, S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.EXPIRED, S.TERMINATED}),
    S.EXPIRED: frozenset(),
    S.TERMINATED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Content can change only before signing starts; after that, only a convenio modificatorio.
EDITABLE = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED})

# Moves that undo work or end the agreement must say why; the reason goes to the audit trail.
_NEEDS_REASON = frozenset(
    {
        (S.IN_REVIEW, S.DRAFT),
        (S.APPROVED, S.IN_REVIEW),
        (S.IN_SIGNATURE, S.IN_REVIEW),
        *((state, S.CANCELLED) for state in TRANSITIONS),
        (S.ACTIVE, S.TERMINATED),
    }
)
# Entering these states means the text is what will be (or was) signed: it must be complete.
_NEEDS_COMPLETE_CONTENT = frozenset({S.IN_REVIEW, S.APPROVED, S.IN_SIGNATURE})


@dataclass(frozen=True)
class Facts:
    """What the guards need to know about the agreement, gathered by the caller."""

    today: date
    expiry_date: date | None
    parties: int
    parties_without_signatories: tuple[str, ...] = ()
    inactive_signatories: tuple[str, ...] = ()
    clauses: int = 0
    # What keeps the content from being complete (contributions that do not make up the
    # amount, …), and what keeps it from being signed (a cabildo's authorisation missing or
    # short of the majority, a signing date already past): worked out by the caller.
    content_problems: tuple[str, ...] = ()
    signing_problems: tuple[str, ...] = ()
    # A modificatorio amends an agreement in force: why its principal no longer is.
    principal_problems: tuple[str, ...] = ()
    pending_signatures: int = 0
    # What keeps the signature requests from starting a signing round (none: none asked).
    signature_problems: tuple[str, ...] = ()
    reason: str | None = None
    signed_on: date | None = None
    effective_date: date | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a transition cannot happen: illegal from this state, or a guard that failed."""

    illegal: bool
    allowed: tuple[S, ...]
    problems: tuple[str, ...] = field(default=())


def allowed_from(state: S) -> tuple[S, ...]:
    """The states reachable from ``state``, in lifecycle order."""
    return tuple(target for target in S if target in TRANSITIONS[state])


def is_editable(state: S) -> bool:
    return state in EDITABLE


def after_edit(state: S) -> S:
    """The state after the content changes: an edit withdraws an approval."""
    return S.IN_REVIEW if state is S.APPROVED else state


def open_moves(current: S, facts: Facts) -> tuple[S, ...]:
    """The moves from ``current`` that nothing in ``facts`` stands in the way of — a reason,
    where a move needs one, being the client's to give — in lifecycle order."""
    with_reason = replace(facts, reason=facts.reason or "given")
    return tuple(
        target
        for target in allowed_from(current)
        if not _guard_problems(current, target, with_reason)
    )


def check(current: S, target: S, facts: Facts) -> Refusal | None:
    """None when ``current → target`` may happen with ``facts``, else why not, with the moves
    that could happen instead (never the one refused)."""
    if target not in TRANSITIONS[current]:
        return Refusal(illegal=True, allowed=open_moves(current, facts))
    problems = tuple(_guard_problems(current, target, facts))
    if not problems:
        return None
    allowed = tuple(move for move in open_moves(current, facts) if move is not target)
    return Refusal(illegal=False, allowed=allowed, problems=problems)


def _guard_problems(current: S, target: S, facts: Facts) -> list[str]:
    problems: list[str] = []
    if (current, target) in _NEEDS_REASON and not (facts.reason and facts.reason.strip()):
        problems.append(f"moving from {current.value} to {target.value} needs a reason")
    if target in _NEEDS_COMPLETE_CONTENT:
        if facts.parties < 2:
            problems.append("an agreement needs at least two parties")
        problems.extend(
            f"party {name} has nobody to sign" for name in facts.parties_without_signatories
        )
        if facts.clauses == 0:
            problems.append("an agreement needs at least one cláusula")
        problems.extend(facts.content_problems)
    if target in _NEEDS_COMPLETE_CONTENT or target is S.ACTIVE:
        problems.extend(facts.principal_problems)
    if target is S.IN_SIGNATURE:
        problems.extend(
            f"representative {name} is no longer active" for name in facts.inactive_signatories
        )
        problems.extend(facts.signature_problems)
        problems.extend(facts.signing_problems)
    if target is S.ACTIVE:
        if facts.pending_signatures:
            problems.append(f"{facts.pending_signatures} signature(s) are still pending")
        if facts.signed_on is not None and facts.signed_on > facts.today:
            problems.append("the signing date cannot be in the future")
        if (
            facts.expiry_date is not None
            and facts.signed_on is not None
            and (facts.signed_on >= facts.expiry_date)
        ):
            problems.append("an agreement signed on or after its expiry date cannot become active")
    if target is S.EXPIRED and (facts.expiry_date is None or facts.expiry_date >= facts.today):
        problems.append("an agreement expires only after its expiry date has passed")
    return problems
