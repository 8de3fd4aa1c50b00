"""Who may see what: roles, the principal behind a request, and the rules that scope data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from doorstep.domain.errors import DomainError


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    LEADERSHIP = "leadership"
    SHIPPER = "shipper"  # the operator's client: sees its own deliveries, recipients and messages


class AccessError(DomainError):
    """A role and shipper that do not go together."""


def check_role_shipper(role: Role, shipper_id: str | None) -> None:
    """A shipper user belongs to exactly one shipper; the operator's own people to none."""
    if role is Role.SHIPPER and not shipper_id:
        raise AccessError("a shipper user or token needs a shipper (--shipper)")
    if role is not Role.SHIPPER and shipper_id:
        raise AccessError(f"only the shipper role belongs to a shipper, not {role.value}")


@dataclass(frozen=True, slots=True)
class Principal:
    """A person (session) or a machine (bearer token) making a request."""

    kind: str  # "user" | "token"
    id: int
    name: str
    role: Role
    shipper_id: str | None = None

    @property
    def is_shipper(self) -> bool:
        return self.role is Role.SHIPPER

    @property
    def sees_operations(self) -> bool:
        """Drivers, vehicles, shifts and route exceptions are the operator's, not a shipper's."""
        return self.role is not Role.SHIPPER

    def shipper_scope(self, requested: str | None = None) -> str | None:
        """The shipper a query is limited to: a shipper principal's own, whatever was asked."""
        return self.shipper_id if self.is_shipper else requested

    def may_see_shipper(self, shipper_id: str | None) -> bool:
        return not self.is_shipper or shipper_id == self.shipper_id
