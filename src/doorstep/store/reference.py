"""The operator's configured markets, depots and shippers, kept in step with its file."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from doorstep.domain import Depot, Market, Shipper


def sync_operator(session: Session, markets: list[Market], depots: list[Depot],
                  shippers: list[Shipper]) -> None:
    """Insert or update each configured entity; nothing configured is ever deleted here,
    because deliveries and routes keep pointing at a market or shipper after it is retired."""
    for entities in (markets, depots, shippers):
        for entity in entities:
            session.merge(_copy(entity))
    session.flush()


def _copy(entity: Any) -> Any:
    # merge() needs a transient instance; configured objects may be reused across sessions.
    fields = {k: v for k, v in vars(entity).items() if not k.startswith("_sa_")}
    return type(entity)(**fields)
