"""Which Onfleet webhook triggers doorstep listens to and what it does with the others
(contracts/onfleet.md §4.3). Payloads are routed on `triggerName`, never on the number: the
numbers above 20 differ between Onfleet's own test server and the published lists, so the two
registered there are taken from this table (Onfleet's test-server numbering) and a payload of
another trigger that arrives instead is answered and ignored."""

from __future__ import annotations

# name -> (trigger id to register, threshold or None)
REGISTERED: dict[str, tuple[int, float | None]] = {
    "taskStarted": (0, None),
    "taskEta": (1, 1800),  # seconds: the driver is within half an hour
    "taskArrival": (2, 150),  # metres: Onfleet's own "driver arriving" distance
    "taskCompleted": (3, None),
    "taskFailed": (4, None),
    "workerDuty": (5, None),
    "taskCreated": (6, None),
    "taskUpdated": (7, None),
    "taskDeleted": (8, None),
    "taskAssigned": (9, None),
    "taskUnassigned": (10, None),
    "taskDelayed": (12, 600),  # seconds late
    "taskCloned": (13, None),
    "workerCreated": (15, None),
    "workerDeleted": (16, None),
    "SMSRecipientOptOut": (17, None),
    "taskBatchCreateJobCompleted": (19, None),
    "workerUpdated": (24, None),  # ❓ 25 in the third-party lists
    "predictedTaskDelay": (29, None),  # ❓ 30 in the third-party lists
}

# Documented triggers that carry nothing doorstep keeps: answered 200, nothing stored.
IGNORED: dict[str, str] = {
    "smsRecipientResponseMissed": "about Onfleet's own SMS conversation",
    "autoDispatchJobCompleted": "the assignments it made arrive as taskAssigned",
    "routeOptimizationJobCompleted": "the new order is read when the route is next synced",
    "routePlanCreated": "doorstep's route is a worker's day, not a route plan",
    "routePlanStarted": "doorstep's route is a worker's day, not a route plan",
    "routePlanCompleted": "doorstep's route is a worker's day, not a route plan",
    "routePlanUpdated": "doorstep's route is a worker's day, not a route plan",
    "routePlanUnassigned": "doorstep's route is a worker's day, not a route plan",
    "routePlanAssigned": "doorstep's route is a worker's day, not a route plan",
    "routePlanDelayed": "doorstep's route is a worker's day, not a route plan",
}

WEBHOOK_PATH = "/webhooks/onfleet"


def hook_name(trigger: str) -> str:
    return f"doorstep {trigger}"
