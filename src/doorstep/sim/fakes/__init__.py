"""Fakes of outside services, served over real HTTP, that follow each service's documented
contract: for the tests, the demo and the simulator."""

from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.sim.fakes.twilio_posting import (
    CallbackOptions,
    Delivery,
    InboundResult,
    twilio_signature,
)
from doorstep.sim.fakes.twilio_records import FakeMessage, TwilioError

__all__ = ["CallbackOptions", "Delivery", "FakeMessage", "FakeTwilio", "InboundResult",
           "TwilioError", "twilio_signature"]
