"""The state machine, as pure functions."""

import itertools
from datetime import date

import pytest

from app.agreements import lifecycle
from app.models.enums import AgreementStatus as S

TODAY = date(2026, 6, 1)
READY = lifecycle.Facts(today=TODAY, expiry_date=date(2027, 1, 1), parties=2, clauses=3)


def test_every_state_has_its_transitions() -> None:
    assert set(lifecycle.TRANSITIONS) == set(S)


def test_the_happy_path_is_allowed() -> None:
    path = [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.IN_SIGNATURE, S.ACTIVE]
    for current, target in itertools.pairwise(path):
        assert lifecycle.check(current, target, READY) is None


@pytest.mark.parametrize("state", [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.IN_SIGNATURE])
def test_cancel_before_active_needs_a_reason(state: S) -> None:
    refusal = lifecycle.check(state, S.CANCELLED, READY)
    assert refusal is not None and not refusal.illegal
    assert "needs a reason" in refusal.problems[0]
    facts = lifecycle.Facts(**{**READY.__dict__, "reason": "Cambio de administración"})
    assert lifecycle.check(state, S.CANCELLED, facts) is None


@pytest.mark.parametrize("state", [S.ACTIVE, S.EXPIRED, S.TERMINATED, S.CANCELLED])
def test_cancel_is_illegal_from_active_on(state: S) -> None:
    refusal = lifecycle.check(state, S.CANCELLED, READY)
    assert refusal is not None and refusal.illegal


def test_an_illegal_move_names_the_allowed_ones() -> None:
    refusal = lifecycle.check(S.DRAFT, S.ACTIVE, READY)
    assert refusal is not None and refusal.illegal
    assert refusal.allowed == (S.IN_REVIEW, S.CANCELLED)


@pytest.mark.parametrize("state", [S.EXPIRED, S.TERMINATED, S.CANCELLED])
def test_final_states_go_nowhere(state: S) -> None:
    assert lifecycle.allowed_from(state) == ()


def test_review_needs_complete_content() -> None:
    facts = lifecycle.Facts(
        today=TODAY, expiry_date=None, parties=1, parties_without_signatories=("Municipio X",)
    )
    refusal = lifecycle.check(S.DRAFT, S.IN_REVIEW, facts)
    assert refusal is not None
    assert refusal.problems == (
        "an agreement needs at least two parties",
        "party Municipio X has nobody to sign",
        "an agreement needs at least one cláusula",
    )


def test_expiry_only_after_the_expiry_date() -> None:
    on_the_day = lifecycle.Facts(today=date(2027, 1, 1), expiry_date=date(2027, 1, 1), parties=2)
    assert lifecycle.check(S.ACTIVE, S.EXPIRED, on_the_day) is not None
    day_after = lifecycle.Facts(today=date(2027, 1, 2), expiry_date=date(2027, 1, 1), parties=2)
    assert lifecycle.check(S.ACTIVE, S.EXPIRED, day_after) is None


def test_activation_waits_for_pending_signatures_and_a_past_signing_date() -> None:
    pending = lifecycle.Facts(**{**READY.__dict__, "pending_signatures": 2})
    assert lifecycle.check(S.IN_SIGNATURE, S.ACTIVE, pending) is not None
    future = lifecycle.Facts(**{**READY.__dict__, "signed_on": date(2026, 6, 2)})
    assert lifecycle.check(S.IN_SIGNATURE, S.ACTIVE, future) is not None


def test_content_is_frozen_from_in_signature_on() -> None:
    assert {s for s in S if lifecycle.is_editable(s)} == {S.DRAFT, S.IN_REVIEW, S.APPROVED}
    assert lifecycle.after_edit(S.APPROVED) is S.IN_REVIEW
    assert lifecycle.after_edit(S.DRAFT) is S.DRAFT


def test_a_move_refused_by_a_guard_is_not_offered_as_allowed() -> None:
    incomplete = lifecycle.Facts(
        today=TODAY, expiry_date=None, parties=2, parties_without_signatories=("Municipio X",)
    )
    refusal = lifecycle.check(S.DRAFT, S.IN_REVIEW, incomplete)
    assert refusal is not None and not refusal.illegal
    assert refusal.allowed == (S.CANCELLED,)  # in_review is what was refused
    # An illegal move names only the moves that could happen now, too.
    refusal = lifecycle.check(S.DRAFT, S.APPROVED, incomplete)
    assert refusal is not None and refusal.illegal and refusal.allowed == (S.CANCELLED,)
    pending = lifecycle.Facts(**{**READY.__dict__, "pending_signatures": 1})
    refusal = lifecycle.check(S.IN_SIGNATURE, S.ACTIVE, pending)
    assert refusal is not None and S.ACTIVE not in refusal.allowed
    assert refusal.allowed == (S.IN_REVIEW, S.CANCELLED)
