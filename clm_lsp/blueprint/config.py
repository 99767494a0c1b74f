"""Settings of the blueprint format that a workspace may change (via clm.toml)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SCALES: tuple[str, ...] = (
    "individual",
    "team",
    "organization",
    "network",
    "district",
    "city",
    "region",
    "commons",
)
"""Smallest to largest: a child's scale may not come later in this list than its parent's."""


@dataclass(frozen=True, slots=True)
class FormatConfig:
    scales: tuple[str, ...] = DEFAULT_SCALES
    max_bytes: int = 8_000_000
    """Larger files are skipped (CLM020): one huge file must not stall the server."""
    max_yaml_depth: int = 20
    """Deeper front matter is rejected (CLM026) before PyYAML composes it recursively."""
    max_yaml_aliases: int = 50
    """More aliases are rejected (CLM026): the billion-laughs defence."""

    def scale_rank(self, scale: str | None) -> int | None:
        """Index of ``scale`` in ``scales`` (bigger = larger), None when unknown."""
        try:
            return self.scales.index(scale) if scale is not None else None
        except ValueError:
            return None


DEFAULT_CONFIG = FormatConfig()
