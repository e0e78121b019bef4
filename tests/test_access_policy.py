"""The access policy is complete, and docs/security.md prints it as it is."""

from __future__ import annotations

from pathlib import Path

from storage.access import POLICY
from storage.access import Action
from storage.access import policy_matrix

SECURITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def test_every_action_has_a_policy() -> None:
    assert set(POLICY) == set(Action)
    assert all(POLICY[action] for action in Action), "no action is open to nobody"


def test_security_doc_prints_the_current_matrix() -> None:
    assert policy_matrix() in SECURITY_DOC.read_text(encoding="utf-8")
