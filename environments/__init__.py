"""Per-environment configuration: YAML files, their typed schema, the loader and derived names.

Plain data: imports neither ``modules`` (cdktf) nor ``scripts`` (boto3).
"""

from .fields import (
    CARD_SECTIONS,
    KNOWN_REGIONS,
    LOG_RETENTION_DAYS,
    ConfigError,
    Tier,
    UnknownEnvironmentError,
)
from .loader import DEFAULT_DIR, load_platform
from .naming import ROLE_SUFFIXES, Names
from .schema import (
    TIER_DEFAULTS,
    CiConfig,
    EnvironmentConfig,
    GovernanceConfig,
    NetworkConfig,
    PlatformConfig,
    RemoteStateConfig,
    RetentionConfig,
    StudioConfig,
    UseCase,
)

__all__ = [
    "CARD_SECTIONS",
    "DEFAULT_DIR",
    "KNOWN_REGIONS",
    "LOG_RETENTION_DAYS",
    "ROLE_SUFFIXES",
    "TIER_DEFAULTS",
    "CiConfig",
    "ConfigError",
    "EnvironmentConfig",
    "GovernanceConfig",
    "Names",
    "NetworkConfig",
    "PlatformConfig",
    "RemoteStateConfig",
    "RetentionConfig",
    "StudioConfig",
    "Tier",
    "UnknownEnvironmentError",
    "UseCase",
    "load_platform",
]
