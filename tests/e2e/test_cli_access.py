"""`doorstep users …` and `doorstep tokens …` as an operator runs them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from doorstep.access import api_tokens, users
from doorstep.clock import SystemClock
from doorstep.store.db import Database
from doorstep.store.tables import api_tokens as token_table
from doorstep.store.tables import users as user_table
from tests.integration.http.processes import doorstep_bin, doorstep_env


class Cli:
    def __init__(self, tmp: Path) -> None:
        self.url = f"sqlite:///{tmp / 'doorstep.db'}"
        self.env = doorstep_env(tmp / "var", self.url)
        self.tmp = tmp
        self.db = Database(self.url)

    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([doorstep_bin(), *args], input=stdin, env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=120, check=False)

    def count(self, table: sa.Table) -> int:
        with self.db.reading() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    c = Cli(tmp_path)
    assert c("migrate").returncode == 0
    yield c
    c.db.dispose()


def test_users_are_created_listed_and_disabled(cli: Cli) -> None:
    made = cli("users", "create", "Sam@Example.com", "--role", "shipper", "--shipper",
               "freshcart", "--name", "Sam Shipper", "--password-stdin",
               stdin="a long enough password\n")
    listed = cli("users", "list")
    disabled = cli("users", "disable", "sam@example.com")

    assert made.returncode == 0, made.stderr
    assert "created sam@example.com (shipper, shipper freshcart)" in made.stderr
    assert listed.returncode == 0 and "sam@example.com" in listed.stdout
    assert "freshcart" in listed.stdout and "Sam Shipper" in listed.stdout
    assert disabled.returncode == 0
    with cli.db.transaction() as s:
        assert users.authenticate(s, "sam@example.com", "a long enough password",
                                  SystemClock().now()) is None
        assert users.by_email(s, "sam@example.com").active is False  # type: ignore[union-attr]


def test_without_a_terminal_or_stdin_a_password_is_made_and_printed_once(cli: Cli) -> None:
    made = cli("users", "create", "lee@example.com", "--role", "leadership")

    assert made.returncode == 0, made.stderr
    password = made.stdout.strip().removeprefix("password: ")
    with cli.db.transaction() as s:
        assert users.authenticate(s, "lee@example.com", password, SystemClock().now())


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "shipper"], "needs a shipper (--shipper)"),
    (["--role", "shipper", "--shipper", "acme"], "no shipper 'acme' (known: freshcart,"),
    (["--role", "dispatcher", "--shipper", "freshcart"], "only the shipper role"),
    (["--role", "emperor"], "emperor"),
])
def test_a_bad_user_is_refused_with_the_reason_and_nothing_is_created(
        cli: Cli, args: list[str], message: str) -> None:
    answer = cli("users", "create", "x@example.com", *args, "--password-stdin",
                 stdin="a long enough password\n")

    assert answer.returncode == 2 and message in answer.stderr, answer.stderr
    assert "Traceback" not in answer.stderr
    assert cli.count(user_table) == 0


def test_a_short_password_and_a_second_user_with_the_same_email_are_refused(cli: Cli) -> None:
    short = cli("users", "create", "x@example.com", "--role", "admin", "--password-stdin",
                stdin="short\n")
    first = cli("users", "create", "x@example.com", "--role", "admin", "--password-stdin",
                stdin="a long enough password\n")
    again = cli("users", "create", "X@EXAMPLE.com", "--role", "admin", "--password-stdin",
                stdin="another long password\n")

    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    assert first.returncode == 0
    assert again.returncode == 2 and "already exists" in again.stderr
    assert cli.count(user_table) == 1


def test_a_token_is_printed_alone_stored_hashed_and_revocable(cli: Cli) -> None:
    made = cli("tokens", "create", "--role", "shipper", "--shipper", "medirx", "--name", "erp")

    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert made.stdout == secret + "\n" and secret.startswith("dst_") and len(secret) > 40
    with cli.db.reading() as s:
        stored = s.execute(sa.select(token_table)).one()
        token = api_tokens.resolve(s, secret, SystemClock().now())
    assert secret not in str(tuple(stored)) and token is not None
    assert (token.role.value, token.shipper_id, token.name) == ("shipper", "medirx", "erp")

    listed = cli("tokens", "list")
    revoked = cli("tokens", "revoke", str(token.id))
    assert listed.returncode == 0 and "erp" in listed.stdout and secret not in listed.stdout
    assert revoked.returncode == 0
    with cli.db.reading() as s:
        assert api_tokens.resolve(s, secret, SystemClock().now()) is None
    assert cli("tokens", "revoke", "999").returncode == 2
