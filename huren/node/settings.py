"""The node's one typed settings object (environment prefix ``HUREN_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from huren.node.cosigner.at_rest import parse_kek
from huren.node.cosigner.recovery_key import parse_recovery_public_key
from huren.node.scan.keys import parse_scan_key

MIN_ADMIN_KEY_LENGTH = 32
MIN_ACCOUNT_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Where the node keeps its data, which chain it follows, and its secrets.

    In ``dev`` the embedded chain is seeded with the demo consortium, whose operator keys are
    derived from public labels, and a missing admin API key is generated into the data
    directory, and so is a missing account secret. Anywhere else those would be default
    secrets, so a non-dev node must name its operator key file and set a strong admin API key,
    account secret and co-signer key-encryption key (in dev a public one is used).
    """

    model_config = SettingsConfigDict(env_prefix="HUREN_", extra="forbid")

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8700
    chain_url: str | None = None  # None: the embedded chain under data_dir
    chain_id: int | None = None  # required with chain_url: the chain is pinned
    operator_key_file: Path | None = None
    database_url: str | None = None  # None: SQLite (WAL) under data_dir
    confirmations: int = 0  # blocks the index stays behind the head (QBFT: 0, final at once)
    index_poll_interval: float = 0.2
    admin_api_key: SecretStr | None = None
    # Signs account tokens and keys SMS-code digests and identity commitments
    # (huren.node.accounts.keys); a dev node generates one into its data directory.
    account_secret: SecretStr | None = None
    # 64 hex digits: encrypts the co-signer's key shares at rest (huren.node.cosigner).
    cosigner_kek: SecretStr | None = None
    # 64 hex digits: the offline recovery holder's X25519 public key, which enrolment tickets
    # issued by node services carry (huren.node.cosigner.recovery_key). Dev uses a public dev
    # key; elsewhere, without one, the applications issue no enrolment tickets (503).
    recovery_public_key: str | None = None
    # 64 hex digits: the Ed25519 seed of the node scan key that signs QR payloads
    # (huren.node.scan); in dev one derived from a public label.
    scan_key: SecretStr | None = None
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    access_log: bool = True  # one line per request; off under heavy load
    # Audit checkpoints (huren.node.audit.checkpoints): anchor the certificate tree and the
    # operation log every N new records or T seconds (if anything was added); 0 turns
    # anchoring off (the tree and the mirror of others' checkpoints are kept anyway).
    audit_anchor_every_records: int = 1000
    audit_anchor_interval_s: float = 3600.0
    audit_poll_interval: float = 1.0
    # Seconds between passes of the upkeep job (huren.node.upkeep: retries of revocations,
    # expired orders, pending zone statements, expiring-soon messages); 0 runs only the pass
    # at start.
    upkeep_interval_s: float = Field(default=60.0, ge=0)
    # Answers about now kept per indexed block (platforms ask about the same certificates
    # again and again); 0 computes every answer afresh.
    recognition_answer_cache: int = Field(default=65_536, ge=0)
    # How clients reach this node: the OCSP, CRL and CA certificate URLs in issued
    # certificates start with it (None: http://host:port).
    public_url: str | None = None
    ca_passphrase: SecretStr | None = None  # decrypts the CA keys under data_dir/pki/<ca_id>/

    @model_validator(mode="after")
    def _no_default_secrets_outside_dev(self) -> Settings:
        if self.chain_url is not None and self.chain_id is None:
            raise ValueError("HUREN_CHAIN_URL needs HUREN_CHAIN_ID (the node pins the chain id)")
        if self.confirmations < 0 or self.index_poll_interval <= 0:
            raise ValueError("confirmations must be >= 0 and the poll interval > 0")
        if self.audit_anchor_every_records < 0 or self.audit_anchor_interval_s <= 0:
            raise ValueError("audit anchoring needs every_records >= 0 and interval_s > 0")
        if self.audit_poll_interval <= 0:
            raise ValueError("the audit poll interval must be > 0")
        if self.recovery_public_key is not None:
            parse_recovery_public_key(self.recovery_public_key, env=self.env)
        if self.env == "dev":
            return self
        if self.operator_key_file is None:
            raise ValueError(
                "outside dev the node needs HUREN_OPERATOR_KEY_FILE: the demo operator keys "
                "are derived from public labels"
            )
        key = self.admin_api_key.get_secret_value() if self.admin_api_key else ""
        if len(key) < MIN_ADMIN_KEY_LENGTH:
            raise ValueError(
                f"outside dev the node needs HUREN_ADMIN_API_KEY of at least "
                f"{MIN_ADMIN_KEY_LENGTH} characters"
            )
        secret = self.account_secret.get_secret_value() if self.account_secret else ""
        if len(secret) < MIN_ACCOUNT_SECRET_LENGTH:
            raise ValueError(
                f"outside dev the node needs HUREN_ACCOUNT_SECRET of at least "
                f"{MIN_ACCOUNT_SECRET_LENGTH} characters"
            )
        if self.cosigner_kek is None:
            raise ValueError("outside dev the node needs HUREN_COSIGNER_KEK (64 hex digits)")
        parse_kek(self.cosigner_kek.get_secret_value())
        if self.scan_key is None:
            raise ValueError("outside dev the node needs HUREN_SCAN_KEY (64 hex digits)")
        parse_scan_key(self.scan_key.get_secret_value())
        return self
