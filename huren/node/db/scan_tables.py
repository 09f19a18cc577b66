"""The scan flows' table (see ``huren.node.scan``): one row per scan request, from the
platform's creation to its one answer. Times are unix seconds."""

from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary, Text
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["ScanRequestRow"]


class ScanRequestRow(SQLModel, table=True):
    """A platform's request to log in, sign, seal... by scan, and how it ended."""

    __tablename__ = "scan_requests"

    request_id: str = Field(primary_key=True, max_length=32)
    platform_id: str = Field(index=True, max_length=66)
    action: str = Field(max_length=16)
    nonce: str = Field(max_length=64)  # the QR's capability (shown on the platform's page)
    payload: str = Field(max_length=1024)  # the signed URL the QR code shows
    content: str = Field(sa_type=Text)  # JSON: what the kind prepared (shown to the device)
    bind_name: str | None = Field(default=None, max_length=128)
    bind_uscc: str | None = Field(default=None, max_length=18)
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(index=True, sa_type=BigInteger)
    session_id: str | None = Field(default=None, index=True, max_length=32)  # pushed
    status: str = Field(max_length=16)  # pending | approved | denied | expired
    answered_at: int | None = Field(default=None, sa_type=BigInteger)
    fingerprint: bytes | None = None
    signature: bytes | None = None
    certificate: bytes | None = None  # the signer's certificate, DER
    result: str = Field(default="{}", sa_type=Text)  # JSON: the kind's extras
    input_blob: bytes | None = Field(default=None, sa_type=LargeBinary)  # e.g. the PDF
    state_blob: bytes | None = Field(default=None, sa_type=LargeBinary)  # kept for finish
    result_blob: bytes | None = Field(default=None, sa_type=LargeBinary)  # e.g. a sealed PDF
