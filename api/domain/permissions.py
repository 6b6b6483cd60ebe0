"""Who is calling, and the one rule for what they may do: a role on a site covers its subtree."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.errors import DomainError
from api.models.accounts import Role

RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}
# Objects that belong to no site (platforms, campaigns, people without a home site) are
# the whole network's: they need the role on a root site (a county centre).
NETWORK = None


class Unauthenticated(DomainError):
    """A credential was sent but is not valid (or none was sent to a mutation)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="UNAUTHENTICATED")


@dataclass(frozen=True)
class Grant:
    site_path: str
    site_name: str
    role: Role


@dataclass(frozen=True)
class Actor:
    label: str  # as the audit log shows it
    account_id: int | None = None
    token_id: int | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def authenticated(self) -> bool:
        return self.account_id is not None or self.token_id is not None

    def role_at(self, path: str | None) -> Role | None:
        """The highest role covering a site path (NETWORK: the role on a root site)."""
        roles = [
            g.role for g in self.grants
            if (g.site_path.count("/") == 2 if path is NETWORK else path.startswith(g.site_path))
        ]
        return max(roles, key=RANK.__getitem__, default=None)

    def can(self, role: Role, path: str | None) -> bool:
        held = self.role_at(path)
        return held is not None and RANK[held] >= RANK[role]

    def require(self, role: Role, path: str | None, *, where: str, field: str | None = None) -> None:
        """Refuse, naming what is needed and what the caller has."""
        if self.can(role, path):
            return
        held = self.role_at(path)
        mine = "; ".join(f"{g.role.value} on {g.site_name}" for g in self.grants) or "no roles"
        if held is None:
            raise DomainError(
                f"{where} is outside your scope ({self.label} has {mine})", field=field, code="OUT_OF_SCOPE"
            )
        raise DomainError(
            f"{where} needs {role.value}; {self.label} has {held.value} there", field=field, code="FORBIDDEN"
        )


ANONYMOUS = Actor(label="anonymous")


@dataclass(frozen=True)
class Operator(Actor):
    """Whoever runs the `wenming` command on the server: they hold the database itself, so
    every role everywhere (the audit log still names them)."""

    def role_at(self, path: str | None) -> Role | None:
        return Role.ADMIN


OPERATOR = Operator(label="command line (wenming)")
