"""CA keys, issued certificates, status (issue 4)

Revision ID: 0004_pki
Revises: 0003_accounts
Create Date: 2026-11-28 18:00:00

Reserved in the chain so that work on separate areas adds its tables without two heads; empty
until that area's tables exist.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004_pki"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
