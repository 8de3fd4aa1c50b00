"""`doorstep users …` and `doorstep tokens …`: people and machines, from the command line."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from doorstep.access import api_tokens
from doorstep.access import users as user_store
from doorstep.domain.access import Role
from doorstep.runtime import Runtime

users = typer.Typer(help="People who log in to the dashboard.", no_args_is_help=True)
tokens = typer.Typer(help="Bearer tokens for machines that read the API.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Operator file (TOML).")]
RoleOpt = Annotated[Role, typer.Option("--role", help="What they may see and do.")]
ShipperOpt = Annotated[str | None, typer.Option("--shipper", help="For the shipper role: the "
                                                "shipper (id) whose data alone they see.")]


@contextmanager
def _runtime(config: Path | None) -> Iterator[Runtime]:
    from doorstep.cli import settings_from
    from doorstep.serving import SchemaNotCurrent, prepare

    try:
        rt = prepare(settings_from(config_file=config), migrate=False)
    except SchemaNotCurrent as e:
        err.print(f"doorstep: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    try:
        yield rt
    finally:
        rt.db.dispose()


def _run(config: Path | None, work: Callable[[Runtime, Session], T]) -> T:
    with _runtime(config) as rt:
        try:
            with rt.db.transaction() as s:
                return work(rt, s)
        except user_store.UserError as e:
            err.print(f"doorstep: {e}", highlight=False, markup=False)
            raise typer.Exit(2) from None


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password, and whether it was made here (then it is printed once)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False
    return secrets.token_urlsafe(12), True


@users.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="Their email: the login.")],
    role: RoleOpt,
    shipper: ShipperOpt = None,
    name: Annotated[str, typer.Option(help="Their name as the dashboard shows it.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password "
                                                 "from the first line of standard input.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Create a user. Without --password-stdin it asks for the password, or, when nobody is at
    the terminal, makes one and prints it once."""
    password, made = _read_password(password_stdin)

    def work(rt: Runtime, s: Session) -> user_store.User:
        return user_store.create(s, email=email, name=name, role=role, password=password,
                                 shipper_id=shipper, now=rt.clock.now())

    user = _run(config, work)
    scope = f", shipper {user.shipper_id}" if user.shipper_id else ""
    err.print(f"created {user.email} ({user.role.value}{scope})", highlight=False)
    if made:
        print(f"password: {password}")


@users.command("list")
def users_list(config: ConfigOpt = None) -> None:
    """Every user, active or not."""
    found = _run(config, lambda rt, s: user_store.all_users(s))
    table = Table("email", "name", "role", "shipper", "active", "last login")
    for u in found:
        table.add_row(u.email, u.name, u.role.value, u.shipper_id or "", "yes" if u.active else
                      "no", u.last_login_at.isoformat(timespec="minutes") if u.last_login_at
                      else "never")
    Console().print(table)


@users.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="The user's email.")],
                  config: ConfigOpt = None) -> None:
    """Disable a user: they cannot log in, and every session they have ends now."""
    user = _run(config, lambda rt, s: user_store.disable(s, email, rt.clock.now()))
    err.print(f"disabled {user.email}; their sessions are closed", highlight=False)


@users.command("enable")
def users_enable(email: Annotated[str, typer.Argument(help="The user's email.")],
                 config: ConfigOpt = None) -> None:
    """Let a disabled user log in again."""
    user = _run(config, lambda rt, s: user_store.enable(s, email))
    err.print(f"enabled {user.email}", highlight=False)


@users.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    config: ConfigOpt = None,
) -> None:
    """Set a new password (ending the user's sessions)."""
    password, made = _read_password(password_stdin)
    user = _run(config, lambda rt, s: user_store.set_password(s, email, password))
    err.print(f"new password set for {user.email}; their sessions are closed", highlight=False)
    if made:
        print(f"password: {password}")


@tokens.command("create")
def tokens_create(
    role: RoleOpt,
    shipper: ShipperOpt = None,
    name: Annotated[str, typer.Option(help="What it is for (shown by `tokens list`).")] = "",
    config: ConfigOpt = None,
) -> None:
    """Make a token and print it, alone, on standard output. It is shown this once only."""

    def work(rt: Runtime, s: Session) -> tuple[str, api_tokens.ApiToken]:
        return api_tokens.create(s, role=role, shipper_id=shipper, name=name, now=rt.clock.now())

    secret, token = _run(config, work)
    scope = f", shipper {token.shipper_id}" if token.shipper_id else ""
    err.print(f"token {token.id} ({token.role.value}{scope}); keep it now, it is not shown again",
              highlight=False)
    print(secret)


@tokens.command("list")
def tokens_list(config: ConfigOpt = None) -> None:
    """Every token (never the secret: only its id, role and use)."""
    found = _run(config, lambda rt, s: api_tokens.all_tokens(s))
    table = Table("id", "name", "role", "shipper", "created", "last used", "revoked")
    for t in found:
        table.add_row(str(t.id), t.name, t.role.value, t.shipper_id or "",
                      t.created_at.isoformat(timespec="minutes"),
                      t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never",
                      t.revoked_at.isoformat(timespec="minutes") if t.revoked_at else "")
    Console().print(table)


@tokens.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="The token's id (tokens list).")],
                  config: ConfigOpt = None) -> None:
    """Revoke a token: the next request that carries it gets 401."""
    token = _run(config, lambda rt, s: api_tokens.revoke(s, token_id, rt.clock.now()))
    err.print(f"token {token.id} revoked", highlight=False)
