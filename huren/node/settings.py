"""The node's one typed settings object (environment prefix ``HUREN_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the node keeps its data and which chain it follows.

    In ``dev`` the embedded chain is seeded with the demo consortium, whose operator keys are
    derived from public labels; anywhere else those keys would be a default secret, so a
    non-dev node must name its operator key file.
    """

    model_config = SettingsConfigDict(env_prefix="HUREN_", extra="forbid")

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8700
    chain_url: str | None = None  # None: the embedded chain under data_dir
    chain_id: int | None = None  # required with chain_url: the chain is pinned
    operator_key_file: Path | None = None

    @model_validator(mode="after")
    def _no_default_secrets_outside_dev(self) -> Settings:
        if self.env != "dev" and self.operator_key_file is None:
            raise ValueError(
                "outside dev the node needs HUREN_OPERATOR_KEY_FILE: the demo operator keys "
                "are derived from public labels"
            )
        if self.chain_url is not None and self.chain_id is None:
            raise ValueError("HUREN_CHAIN_URL needs HUREN_CHAIN_ID (the node pins the chain id)")
        return self
