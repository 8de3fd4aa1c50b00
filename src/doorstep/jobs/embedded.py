"""A Huey consumer that runs inside another process (`doorstep serve`)."""

from __future__ import annotations

from huey.api import Huey
from huey.consumer import Consumer


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Worker and scheduler threads without signal handlers: the host process (uvicorn) owns
    SIGINT/SIGTERM and stops this consumer from its own shutdown."""

    def _set_signal_handlers(self) -> None:
        pass


def start_consumer(huey: Huey, workers: int) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(huey, workers=workers, worker_type="thread", periodic=True,
                                initial_delay=0.05, max_delay=1.0, shutdown_timeout=30)
    consumer.start()
    return consumer
