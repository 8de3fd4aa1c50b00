"""Playing a simulated day *as* a route platform: the platform's fake is driven the way its
dispatchers and drivers drive the real one, and doorstep hears of it only through that
platform's connector (its webhooks, or its polling) — the whole way an operator's day goes.

Each platform has a `PlatformPlay` (onfleet.py, circuit.py, optimoroute.py); `PlatformSink`
puts one between the simulator and doorstep. What a platform does not carry (shift
confirmations and callouts, exception reports, replies) still reaches doorstep through its
own intake, as it would from the operator's other systems.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from doorstep.clock import Clock
from doorstep.config import OperatorConfig, PlatformConfig
from doorstep.sim.sinks import Event, EventSink

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

PLAYS = {
    "onfleet": "doorstep.sim.platforms.onfleet:OnfleetPlay",
    "circuit": "doorstep.sim.platforms.circuit:CircuitPlay",
    "optimoroute": "doorstep.sim.platforms.optimoroute:OptimoRoutePlay",
}


class PlatformPlay(ABC):
    """One platform's fake, driven by simulated events."""

    name: ClassVar[str]

    def __init__(self, operator: OperatorConfig, clock: Clock, seed: int = 1) -> None:
        self.operator = operator
        self.clock = clock
        self.seed = seed

    @abstractmethod
    def start(self) -> None:
        """Serve the fake and set up the operator's account on it (teams/depots/hubs for the
        operator's depots)."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """The settings that point doorstep's connector at the fake: `{platform}_api_key`,
        `{platform}_base_url`, and the webhook secret where the platform signs."""

    @abstractmethod
    def mapping(self) -> PlatformConfig:
        """How the fake's teams/depots and shipper field map to the operator's depots and
        shippers (what an operator writes under [platforms.<name>])."""

    def connect(self, rt: Runtime, doorstep_url: str) -> None:
        """Once doorstep listens at `doorstep_url`: register its webhooks, where the platform
        pushes (through the connector, as `doorstep connectors register-webhooks` would)."""
        rt.connectors()[self.name].register_webhooks(doorstep_url)

    @abstractmethod
    def carry(self, batch: list[Event]) -> list[Event]:
        """Do on the platform what the events say happened (create tasks, assign, start,
        complete, fail …); return the events the platform has no part in, for doorstep's
        own intake."""

    @abstractmethod
    def settle(self, rt: Runtime) -> None:
        """Let doorstep hear what happened so far: send the webhooks the fake owes, or poll
        through the connector for a platform without push."""

    @abstractmethod
    def stop(self) -> None: ...


def attach(rt: Runtime, play: PlatformPlay) -> None:
    """Point a built runtime's connector at the play's fake (the demo decides to play as a
    platform after the service has started)."""
    from doorstep.config import PlatformsConfig, Settings

    rt.close_connectors()
    rt.settings = Settings.model_validate({**rt.settings.model_dump(), **play.settings()})
    rt.operator = rt.operator.model_copy(update={
        "platforms": PlatformsConfig(**{play.name: play.mapping()})})


def make_play(platform: str, operator: OperatorConfig, clock: Clock, seed: int) -> PlatformPlay:
    module, _, cls = PLAYS[platform].partition(":")
    play: PlatformPlay = getattr(importlib.import_module(module), cls)(operator, clock, seed)
    return play


class PlatformSink:
    """Events to the platform where it carries them, the rest to doorstep's own intake; after
    each batch, doorstep hears from the platform."""

    def __init__(self, play: PlatformPlay, rt: Runtime, rest: EventSink) -> None:
        self.play = play
        self.rt = rt
        self.rest = rest

    def send(self, batch: list[Event]) -> None:
        others = self.play.carry(batch)
        if others:
            self.rest.send(others)
        self.play.settle(self.rt)
