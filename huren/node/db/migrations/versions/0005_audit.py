"""audit checkpoints and the operation log (issue 8)

Revision ID: 0005_audit
Revises: 0004_pki
Create Date: 2026-11-28 18:00:00

Reserved in the chain so that work on separate areas adds its tables without two heads; empty
until that area's tables exist.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005_audit"
down_revision: str | None = "0004_pki"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
