"""Which platform object stands for which of doorstep's deliveries, routes or drivers now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.store.tables import platform_links as links


def put(session: Session, platform: str, kind: str, doorstep_id: str, platform_id: str,
        at: datetime) -> None:
    """Link (or re-link) one of ours to the platform's object that stands for it now."""
    updated = session.execute(
        sa.update(links).where(links.c.platform == platform, links.c.kind == kind,
                               links.c.doorstep_id == doorstep_id)
        .values(platform_id=platform_id, updated_at=at))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(sa.insert(links).values(platform=platform, kind=kind,
                                                doorstep_id=doorstep_id,
                                                platform_id=platform_id, updated_at=at))


def platform_id(session: Session, platform: str, kind: str, doorstep_id: str) -> str | None:
    return session.scalar(sa.select(links.c.platform_id).where(
        links.c.platform == platform, links.c.kind == kind, links.c.doorstep_id == doorstep_id))


def doorstep_ids(session: Session, platform: str, kind: str,
                 platform_ids: Iterable[str]) -> dict[str, str]:
    """platform id -> ours, for those linked."""
    return _lookup(session, platform, kind, links.c.platform_id, links.c.doorstep_id,
                   platform_ids)


def platform_ids(session: Session, platform: str, kind: str,
                 doorstep_ids: Iterable[str]) -> dict[str, str]:
    """our id -> the platform object linked to it now, for those linked."""
    return _lookup(session, platform, kind, links.c.doorstep_id, links.c.platform_id,
                   doorstep_ids)


def _lookup(session: Session, platform: str, kind: str, by: sa.Column[str],
            to: sa.Column[str], keys: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(sa.select(by, to).where(
            links.c.platform == platform, links.c.kind == kind,
            by.in_(wanted[start:start + 500])))
        found.update({k: v for k, v in rows})
    return found


def platforms_of(session: Session, kind: str, doorstep_id: str) -> list[str]:
    """The platforms that know this delivery/route/driver."""
    return list(session.scalars(sa.select(links.c.platform).where(
        links.c.kind == kind, links.c.doorstep_id == doorstep_id).order_by(links.c.platform)))
