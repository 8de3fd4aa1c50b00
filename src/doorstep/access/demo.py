"""The demo's administrator, so that `make run` can print a login that works."""

from __future__ import annotations

import secrets
from pathlib import Path

from doorstep.access import users
from doorstep.domain.access import Role
from doorstep.runtime import Runtime, kept_secret

DEMO_EMAIL = "admin@example.com"
# Letters and digits only: easy to copy from a terminal and never read as a command option.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _readable_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))  # ~93 bits


def ensure_demo_admin(rt: Runtime) -> tuple[str, str, Path]:
    """Create the demo admin once; return its email, password and the file that keeps it.

    The password is random per machine, made on the first run and kept in the data directory,
    so a demo left reachable on a network is not open to a password printed in a README.
    """
    path = Path(rt.settings.data_dir) / "demo-admin-password"
    password = kept_secret(path, _readable_password)
    with rt.db.transaction() as s:
        if users.by_email(s, DEMO_EMAIL) is None:
            users.create(s, email=DEMO_EMAIL, name="Demo admin", role=Role.ADMIN,
                         password=password, shipper_id=None, now=rt.clock.now())
        elif users.authenticate(s, DEMO_EMAIL, password, rt.clock.now()) is None:
            users.set_password(s, DEMO_EMAIL, password)
            users.enable(s, DEMO_EMAIL)
    return DEMO_EMAIL, password, path
