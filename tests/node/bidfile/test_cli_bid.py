"""``huren bid encrypt`` / ``huren bid decrypt`` against a node index: recognition refuses
recipients, and a failed decryption leaves no output (nor a half-written temporary file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from huren.cli import app
from tests.node.bidfile.conftest import INDEXED, Holder

runner = CliRunner()
CONTENT = bytes(range(256)) * 1000  # 256,000 bytes: four chunks


def files(tmp_path: Path, *names: str) -> list[Path]:
    return sorted(p for p in tmp_path.iterdir() if p.name not in names and p.is_file())


def write_holder(tmp_path: Path, h: Holder) -> tuple[Path, Path]:
    cert = tmp_path / f"{h.name}.pem"
    cert.write_bytes(h.certificate.public_bytes(Encoding.PEM))
    key = tmp_path / f"{h.name}.key"
    key.write_bytes(h.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cert, key


def run(*args: str | Path) -> Result:
    return runner.invoke(app, ["bid", *map(str, args)])


@pytest.fixture
def work(index: Engine, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "bid.pdf").write_bytes(CONTENT)
    return work


def test_encrypt_then_decrypt_with_either_key(work: Path, tmp_path: Path) -> None:
    alice, granted = INDEXED["alliance"], INDEXED["staff_granted"]
    (a_cert, a_key), (g_cert, g_key) = write_holder(work, alice), write_holder(work, granted)
    url = f"sqlite:///{tmp_path / 'node.db'}"
    sealed = work / "bid.pdf.hbf"
    done = run(
        "encrypt",
        "--to",
        a_cert,
        "--to",
        g_cert,
        "--platform",
        "jiaxing-ggzy",
        "--database-url",
        url,
        work / "bid.pdf",
        sealed,
    )
    assert done.exit_code == 0, done.output
    assert "4 chunks" in done.output
    opened = run("decrypt", "--key", a_key, "--cert", a_cert, sealed, work / "alice.pdf")
    assert opened.exit_code == 0, opened.output
    assert (work / "alice.pdf").read_bytes() == CONTENT
    opened = run("decrypt", "--key", g_key, sealed, work / "granted.pdf")  # no --cert
    assert opened.exit_code == 0, opened.output
    assert (work / "granted.pdf").read_bytes() == CONTENT
    assert not list(work.glob(".*.part"))


def test_encrypt_refuses_an_unrecognized_recipient(work: Path, tmp_path: Path) -> None:
    (a_cert, _), (r_cert, _) = (
        write_holder(work, INDEXED["alliance"]),
        write_holder(work, INDEXED["revoked"]),
    )
    before = files(work)
    done = run(
        "encrypt",
        "--to",
        a_cert,
        "--to",
        r_cert,
        "--platform",
        "jiaxing-ggzy",
        "--data-dir",
        tmp_path,
        work / "bid.pdf",
        work / "out.hbf",
    )
    assert done.exit_code == 1
    assert "RECIPIENT_NOT_RECOGNIZED" in done.output and "REVOKED" in done.output
    assert files(work) == before  # no output, no temporary file
    no_index = run(
        "encrypt",
        "--to",
        a_cert,
        "--platform",
        "alliance",
        "--data-dir",
        work / "nowhere",
        work / "bid.pdf",
        work / "out.hbf",
    )
    assert no_index.exit_code == 2 and "no node index" in no_index.output


def test_a_tampered_file_leaves_the_target_untouched(work: Path, tmp_path: Path) -> None:
    a_cert, a_key = write_holder(work, INDEXED["alliance"])
    sealed = work / "bid.pdf.hbf"
    done = run(
        "encrypt",
        "--to",
        a_cert,
        "--platform",
        "alliance",
        "--data-dir",
        tmp_path,
        work / "bid.pdf",
        sealed,
    )
    assert done.exit_code == 0, done.output
    data = bytearray(sealed.read_bytes())
    data[-5] ^= 1  # in the last chunk: three chunks authenticate before it fails
    sealed.write_bytes(bytes(data))
    target = work / "out.pdf"
    target.write_bytes(b"the previous version")
    failed = run("decrypt", "--key", a_key, "--cert", a_cert, sealed, target)
    assert failed.exit_code == 1
    assert "CHUNK_AUTHENTICATION_FAILED" in failed.output and "chunk 3" in failed.output
    assert target.read_bytes() == b"the previous version"
    assert not list(work.glob(".*.part"))
    sealed.write_bytes(bytes(data[:-200]))  # cut inside the last chunk
    assert run("decrypt", "--key", a_key, sealed, work / "x.pdf").exit_code == 1
    assert not (work / "x.pdf").exists()


def test_an_encrypted_key_takes_its_password_from_the_environment(
    work: Path, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption

    alice = INDEXED["alliance"]
    a_cert, _ = write_holder(work, alice)
    locked = work / "locked.key"
    locked.write_bytes(
        alice.key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"certificate password")
        )
    )
    sealed = work / "bid.pdf.hbf"
    args = ["encrypt", "--to", a_cert, "--platform", "alliance", "--data-dir", tmp_path]
    assert run(*args, work / "bid.pdf", sealed).exit_code == 0
    no_password = run("decrypt", "--key", locked, sealed, work / "x.pdf")
    assert no_password.exit_code == 1 and "UNUSABLE_KEY" in no_password.output
    opened = runner.invoke(
        app,
        ["bid", "decrypt", "--key", str(locked), str(sealed), str(work / "x.pdf")],
        env={"HUREN_KEY_PASSWORD": "certificate password"},
    )
    assert opened.exit_code == 0, opened.output
    assert (work / "x.pdf").read_bytes() == CONTENT


def test_decrypt_by_someone_else(work: Path, tmp_path: Path) -> None:
    a_cert, _ = write_holder(work, INDEXED["alliance"])
    s_cert, s_key = write_holder(work, INDEXED["signing"])
    sealed = work / "bid.pdf.hbf"
    assert (
        run(
            "encrypt",
            "--to",
            a_cert,
            "--platform",
            "alliance",
            "--data-dir",
            tmp_path,
            work / "bid.pdf",
            sealed,
        ).exit_code
        == 0
    )
    refused = run("decrypt", "--key", s_key, "--cert", s_cert, sealed, work / "x.pdf")
    assert refused.exit_code == 1 and "NOT_A_RECIPIENT" in refused.output
    mismatch = run("decrypt", "--key", s_key, "--cert", a_cert, sealed, work / "x.pdf")
    assert mismatch.exit_code == 1 and "KEY_CERTIFICATE_MISMATCH" in mismatch.output
    assert not (work / "x.pdf").exists()
