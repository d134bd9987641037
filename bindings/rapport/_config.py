"""Scoring settings: whatever the functions were given as ``config`` to a ScoringConfig."""

from __future__ import annotations

from collections.abc import Mapping as _Mapping
from typing import Optional

from ._rapport import ScoringConfig
from ._types import ConfigArg


def _config(config: ConfigArg, threads: Optional[int]) -> ScoringConfig:
    if config is None:
        cfg = ScoringConfig()
    elif isinstance(config, ScoringConfig):
        cfg = config.copy()
    elif isinstance(config, _Mapping):
        cfg = ScoringConfig(**dict(config))
    elif isinstance(config, str):
        cfg = ScoringConfig.from_json(config)
    else:
        raise TypeError(f"config: expected a ScoringConfig, a dict or JSON text, not {type(config).__name__}")
    if threads is not None:
        cfg.threads = threads  # validated by the setter (ConfigError, a ValueError)
    return cfg
