"""The recovery public key node services put into enrolment tickets: the setting checks
its form, refuses the public dev key outside dev, and a node outside dev without one
issues no tickets (``RecoveryKeyUnavailable``) but still starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from huren.node.cosigner.recovery_key import (
    DEV_RECOVERY_KEY,
    RecoveryKeyUnavailable,
    recovery_public_key_of,
)
from huren.node.keysplit.sealing import RecoveryKey
from huren.node.settings import Settings


def _prod(tmp_path: Path, **extra: str) -> Settings:
    return Settings(
        env="prod",
        operator_key_file=tmp_path / "k",
        admin_api_key="a" * 40,  # type: ignore[arg-type]
        account_secret="s" * 40,  # type: ignore[arg-type]
        cosigner_kek="1f" * 32,  # type: ignore[arg-type]
        scan_key="2e" * 32,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def test_the_recovery_key_setting(tmp_path: Path) -> None:
    assert recovery_public_key_of("dev", None) == DEV_RECOVERY_KEY.public_key
    bare = _prod(tmp_path)  # starts: CSR downloads need no recovery key
    with pytest.raises(RecoveryKeyUnavailable):
        recovery_public_key_of(bare.env, bare.recovery_public_key)
    for bad in ("00" * 32, "abc", "zz" * 32, "11" * 31, DEV_RECOVERY_KEY.public_key.hex()):
        with pytest.raises(ValidationError, match="recovery public key"):
            _prod(tmp_path, recovery_public_key=bad)
    good = RecoveryKey.generate().public_key
    settings = _prod(tmp_path, recovery_public_key=good.hex())
    assert recovery_public_key_of(settings.env, settings.recovery_public_key) == good
    dev = Settings(recovery_public_key=DEV_RECOVERY_KEY.public_key.hex())  # allowed in dev
    assert recovery_public_key_of(dev.env, dev.recovery_public_key) == DEV_RECOVERY_KEY.public_key
