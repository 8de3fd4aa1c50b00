"""Whether the key works and doorstep's webhooks are registered with Onfleet, and registering
the missing ones (contracts/onfleet.md §4.1): one webhook per trigger, all to
`{public url}/webhooks/onfleet`; Onfleet checks the address with its `?check=` handshake before
it keeps one, and disables one after 300 failures in a row (then it is made again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from doorstep.connectors.base import Check
from doorstep.connectors.http import PlatformError, PlatformUnavailable
from doorstep.connectors.onfleet import loader
from doorstep.connectors.onfleet.keeping import SOURCE
from doorstep.connectors.onfleet.triggers import REGISTERED, WEBHOOK_PATH, hook_name

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector

NO_SECRET = ("DOORSTEP_ONFLEET_WEBHOOK_SECRET is not set (Onfleet dashboard → Settings → API & "
             "Webhooks): every webhook will be refused")
NOT_SILENCED = ("silence_platform_messages is off: Onfleet will text recipients too unless its "
                "templates are removed (Settings → Communications)")


def _hooks(c: OnfleetConnector) -> list[dict[str, Any]]:
    found = c.client.json("GET", "/webhooks")
    return [h for h in found or [] if isinstance(h, dict)]


def _target(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


def check(c: OnfleetConnector, public_url: str | None) -> Check:
    try:
        c.client.json("GET", "/auth/test")
        hooks = _hooks(c)
    except PlatformError as err:
        return Check(SOURCE, key_works=False, detail=err.detail)
    except PlatformUnavailable as err:
        return Check(SOURCE, key_works=False, detail=f"unreachable: {err}")
    warnings = []
    if c.rt.settings.onfleet_webhook_secret is None:
        warnings.append(NO_SECRET)
    if not c.mapping.silence_platform_messages:
        warnings.append(NOT_SILENCED)
    if not public_url:
        warnings.append("no public URL (DOORSTEP_PUBLIC_URL or --url): which webhooks reach "
                        "doorstep cannot be told")
        return Check(SOURCE, key_works=True, warnings=warnings)
    target = _target(public_url)
    ours = [h for h in hooks if h.get("url") == target]
    live = {h.get("trigger") for h in ours if h.get("isEnabled", True) is not False}
    disabled = [h for h in ours if h.get("isEnabled") is False]
    if disabled:
        warnings.append(f"{len(disabled)} of doorstep's webhooks were disabled by Onfleet after "
                        "failing: `doorstep connectors register-webhooks` makes them again")
    return Check(SOURCE, key_works=True,
                 webhooks=[hook_name(n) for n, (tid, _) in REGISTERED.items() if tid in live],
                 missing=[n for n, (tid, _) in REGISTERED.items() if tid not in live],
                 warnings=warnings)


def register(c: OnfleetConnector, public_url: str) -> list[str]:
    """Add what is missing; a disabled one is deleted and made again."""
    target = _target(public_url)
    hooks = [h for h in _hooks(c) if h.get("url") == target]
    for hook in hooks:
        if hook.get("isEnabled") is False and isinstance(hook.get("id"), str):
            c.client.request("DELETE", f"/webhooks/{loader.path_id(hook['id'])}")
    live = {h.get("trigger") for h in hooks if h.get("isEnabled", True) is not False}
    added = []
    for name, (trigger, threshold) in REGISTERED.items():
        if trigger in live:
            continue
        body: dict[str, Any] = {"url": target, "name": hook_name(name), "trigger": trigger}
        if threshold is not None:
            body["threshold"] = threshold
        c.client.json("POST", "/webhooks", json=body)
        added.append(name)
    return added
