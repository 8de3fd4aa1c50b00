"""Roles, principals and the login throttle's arithmetic: pure rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from doorstep.access import passwords, tokens
from doorstep.access.throttle import ADDRESS, EMAIL, LONGEST_WAIT, wait_after
from doorstep.domain.access import AccessError, Principal, Role, check_role_shipper


def test_a_shipper_principal_is_held_to_its_shipper_whatever_it_asks() -> None:
    shipper = Principal("token", 1, "erp", Role.SHIPPER, "freshcart")
    dispatcher = Principal("user", 2, "Dee", Role.DISPATCHER)

    assert shipper.shipper_scope("homenest") == "freshcart"
    assert shipper.shipper_scope() == "freshcart"
    assert dispatcher.shipper_scope("homenest") == "homenest"
    assert dispatcher.shipper_scope() is None
    assert shipper.may_see_shipper("freshcart") and not shipper.may_see_shipper("homenest")
    assert not shipper.sees_operations and dispatcher.sees_operations


@pytest.mark.parametrize(("role", "shipper"), [(Role.SHIPPER, None), (Role.SHIPPER, ""),
                                               (Role.ADMIN, "freshcart")])
def test_a_role_and_shipper_that_do_not_go_together_are_refused(role: Role,
                                                                shipper: str | None) -> None:
    with pytest.raises(AccessError):
        check_role_shipper(role, shipper)


def test_the_wait_starts_after_the_free_failures_doubles_and_is_capped() -> None:
    assert [wait_after(n, EMAIL).total_seconds() for n in range(4, 9)] == [0, 30, 60, 120, 240]
    assert wait_after(19, ADDRESS) == timedelta(0) and wait_after(20, ADDRESS).total_seconds() == 30
    assert wait_after(10_000, EMAIL) == LONGEST_WAIT


def test_passwords_verify_only_themselves_and_an_unknown_user_never_verifies() -> None:
    stored = passwords.hash_password("a long enough password")

    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "a long enough password")
    assert not passwords.verify(stored, "a long enough passwore")
    assert not passwords.verify(None, "a long enough password")
    assert not passwords.verify("not a hash", "a long enough password")
    with pytest.raises(passwords.WeakPassword):
        passwords.hash_password("short")


def test_secrets_are_random_and_stored_as_a_digest() -> None:
    a, b = tokens.new_api_token(), tokens.new_api_token()

    assert a != b and a.startswith("dst_") and len(a) >= 4 + 43  # 256 bits, base64url
    assert tokens.digest(a) != a and len(tokens.digest(a)) == 64
    assert tokens.same(a, a) and not tokens.same(a, b)
