"""Which window model a process uses: the operator's own (`doorstep windows fit`, saved in the
data directory) when there is one, else the one that ships with doorstep, fitted on the
simulator's history (5 days of 1,000 deliveries, seed 7, every depot pooled) — a start until
the operator's own history is fitted."""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

from doorstep.windows.model import WindowModel

log = logging.getLogger(__name__)

MODEL_FILE = "windows-model.json"
DEFAULT = Path(__file__).with_name("default-model.json")


@cache
def _read(path: Path, mtime: float) -> WindowModel:
    return WindowModel.from_json(json.loads(path.read_text(encoding="utf-8")))


def load(data_dir: Path) -> tuple[WindowModel, str]:
    """(model, where it came from). An operator's file that cannot be read is logged and the
    shipped model used, so a bad file never stops the notices."""
    own = Path(data_dir) / MODEL_FILE
    if own.exists():
        try:
            return _read(own, own.stat().st_mtime), str(own)
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("cannot use the windows model %s (%s); using the shipped one", own, err)
    return shipped(), "shipped"


def shipped() -> WindowModel:
    return _read(DEFAULT, 0.0)
