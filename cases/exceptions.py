"""Domain exceptions raised by services; the API and the pages translate them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    level: str = "blocking"  # or "warning"
    field: str = ""

    def as_dict(self) -> dict:
        data = {"rule": self.rule, "message": self.message, "level": self.level}
        if self.field:
            data["field"] = self.field
        return data


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message or self.__class__.__doc__ or ""


class RuleViolation(DomainError):
    """A business rule blocks the action."""

    def __init__(self, violations: list[Violation], message: str = ""):
        self.violations = list(violations)
        super().__init__(message or "; ".join(v.message for v in self.violations))


class InvalidTransition(DomainError):
    """The transition is not allowed from the current state, or another writer won the race."""


class OutOfScope(DomainError):
    """The object is outside the actor's unit scope (answered as not found)."""


class NotPermitted(DomainError):
    """The actor's role may not do this."""


@dataclass
class InvalidInput(DomainError):
    """Input is malformed."""

    fields: dict = field(default_factory=dict)
    message: str = "Invalid input."

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)
