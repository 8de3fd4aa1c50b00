"""The domain: entities, value objects, states and pure rules. Imports nothing else of doorstep."""

from doorstep.domain.crew import (
    Driver,
    Gap,
    GapStatus,
    Offer,
    OfferStatus,
    Shift,
    ShiftStatus,
    Vehicle,
    VehicleClass,
)
from doorstep.domain.delivery import (
    Attempt,
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Disposition,
    DispositionKind,
    FailureReason,
    ProofOfDelivery,
)
from doorstep.domain.errors import DomainError, IllegalTransition, NaiveDatetime
from doorstep.domain.event import Event, EventStatus, EventType
from doorstep.domain.exception import ExceptionKind, ExceptionStatus, RouteException, Severity
from doorstep.domain.messaging import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageStatus,
    SuppressionReason,
)
from doorstep.domain.operator import Depot, Market, Shipper
from doorstep.domain.recipient import Consent, Recipient
from doorstep.domain.report import Report, ReportKind
from doorstep.domain.route import Route, RouteStatus, Stop, StopStatus

__all__ = [
    "Attempt", "AttemptOutcome", "Channel", "Consent", "Conversation",
    "ConversationStatus", "Delivery", "DeliveryStatus", "Depot", "Direction", "Disposition",
    "DispositionKind", "DomainError", "Driver", "Event", "EventStatus", "EventType",
    "ExceptionKind", "ExceptionStatus", "FailureReason", "Gap", "GapStatus", "IllegalTransition",
    "Market", "Message", "MessageStatus", "NaiveDatetime", "Offer", "OfferStatus",
    "ProofOfDelivery", "Recipient", "Report", "ReportKind", "Route", "RouteException",
    "RouteStatus", "Severity", "Shift", "ShiftStatus", "Shipper", "Stop", "StopStatus",
    "SuppressionReason", "Vehicle", "VehicleClass",
]
