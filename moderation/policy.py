"""Turning label scores into a decision (allow / hold / reject), with reasons.

A first version: per-label `hold` and `reject` thresholds, taken from the
model card unless a policy overrides them. The pre-publish hook issue extends
this with a TOML file, banned/suspect word lists and the fail mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass
class Policy:
    """Per-label thresholds: a score >= `reject` rejects, >= `hold` holds."""

    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    fail_mode: str = "hold"

    @classmethod
    def from_card(cls, card: Mapping[str, Any]) -> "Policy":
        return cls(thresholds={label: dict(t) for label, t in card["thresholds"].items()})

    def decide(self, scores: Mapping[str, float], text: str = "") -> tuple[str, list[str], list[dict[str, Any]]]:
        """Return (decision, flagged labels, reasons) for one comment's scores (and text, for word lists)."""
        decision, labels, reasons = "allow", [], []
        for label, score in scores.items():
            t = self.thresholds.get(label)
            if t is None:
                continue
            if score >= t["reject"]:
                action = "reject"
            elif score >= t["hold"]:
                action = "hold"
            else:
                continue
            labels.append(label)
            reasons.append({"kind": "score", "label": label, "score": round(float(score), 4),
                            "threshold": t[action], "action": action})
            if action == "reject" or decision == "allow":
                decision = action
        return decision, labels, reasons


def load_policy(path=None, card: Mapping[str, Any] | None = None) -> Policy:
    """The policy for a model: from the card's thresholds (a TOML file comes with the hook issue)."""
    if path is not None:
        raise NotImplementedError("policy files arrive with the pre-publish hook issue")
    if card is None:
        raise ValueError("load_policy needs a policy file or a model card")
    return Policy.from_card(card)
