"""``huren bid``: encrypt a bid file once to several encryption certificates, and open it
with any one of their keys (the format: docs/bidfile.md)."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from huren.node.bidfile.header import DEFAULT_CHUNK_SIZE

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

    from huren.bid_scan_client import BidScanClient
    from huren.node.bidfile import Decapsulator

DEFAULT_SERVER = "http://127.0.0.1:8700"
PlatformKey = Annotated[
    str | None,
    typer.Option(
        envvar="HUREN_PLATFORM_KEY",
        help="(--by-scan) the platform's API key (hrk_...)",
        show_default=False,
    ),
]

bid_app = typer.Typer(
    help="Bid files encrypted once to several encryption certificates.", no_args_is_help=True
)
console = Console(stderr=True)


@contextlib.contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


@contextlib.contextmanager
def _replace_on_success(target: Path) -> Iterator[IO[bytes]]:
    """A temporary file next to ``target``, renamed onto it only if the block succeeds
    (and removed otherwise): a failed run never leaves a partial or unauthenticated file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fail(exc: Exception) -> typer.Exit:
    code = getattr(exc, "code", type(exc).__name__)
    console.print(f"[red]{code}: {exc}[/red]")
    return typer.Exit(1)


def _index_engine(data_dir: Path | None, database_url: str | None) -> Engine:
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url

    from huren.node.db.engine import default_url, make_engine
    from huren.node.settings import Settings

    if database_url is None:
        try:
            settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
        except ValidationError as exc:
            console.print(f"[red]settings: {exc.errors()[0]['msg']}[/red]")
            raise typer.Exit(2) from None
        database_url = settings.database_url or default_url(settings.data_dir)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        console.print(f"[red]no node index at {url.database}: give --data-dir of a node[/red]")
        raise typer.Exit(2)
    return make_engine(database_url)


@bid_app.command("encrypt")
def encrypt_command(
    source: Annotated[
        Path, typer.Argument(help="the file to encrypt", exists=True, dir_okay=False)
    ],
    target: Annotated[Path, typer.Argument(help="where to write the bid file")],
    to: Annotated[
        list[Path] | None,
        typer.Option("--to", help="a recipient's encryption certificate, PEM or DER (repeat)"),
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="the platform the bid is for, e.g. jiaxing-ggzy")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="node data directory whose index decides recognition")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="the node's database URL (instead of --data-dir)")
    ] = None,
    chunk_size: Annotated[int, typer.Option(help="plaintext bytes per chunk")] = DEFAULT_CHUNK_SIZE,
    by_scan: Annotated[
        bool, typer.Option("--by-scan", help="let a holder choose the recipients by scanning")
    ] = False,
    server: Annotated[str, typer.Option(help="(--by-scan) the node API")] = DEFAULT_SERVER,
    platform_key: PlatformKey = None,
    tender: Annotated[str | None, typer.Option(help="(--by-scan) the tender's id")] = None,
    title: Annotated[str | None, typer.Option(help="(--by-scan) what the phone shows")] = None,
    wait_s: Annotated[float, typer.Option(help="(--by-scan) how long to wait")] = 300.0,
) -> None:
    """Encrypt SOURCE once so that any one of the --to certificates can open it; each must be
    recognized for encryption at --platform. With --by-scan a QR code is shown instead: the
    holder scans it, chooses the enterprise's certificates and approves, and the file is
    encrypted here to the certificates the node checked and the holder signed for."""
    from huren.node.bidfile import BidFileError, Recipient, encrypt
    from huren.node.bidfile.policy import RecognitionPolicy
    from huren.registry.errors_base import RegistryError

    if by_scan:
        _encrypt_by_scan(source, target, server, platform_key, tender, title, wait_s, chunk_size)
        return
    if not to or platform is None:
        console.print("[red]give --to and --platform (or --by-scan)[/red]")
        raise typer.Exit(2)
    try:
        recipients = [Recipient.from_certificate(path.read_bytes()) for path in to]
    except OSError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except BidFileError as exc:
        raise _fail(exc) from None
    engine = _index_engine(data_dir, database_url)
    try:
        with (
            source.open("rb") as src,
            _replace_on_success(target) as out,
            _progress("encrypting", source.stat().st_size) as advance,
        ):
            summary = encrypt(
                src,
                out,
                recipients,
                platform_id=platform,
                policy=RecognitionPolicy(engine),
                chunk_size=chunk_size,
                progress=advance,
            )
    except (BidFileError, RegistryError) as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    console.print(
        f"wrote {target}: {summary.ciphertext_bytes} bytes, {summary.chunks} chunks, "
        f"file id {summary.file_id.hex()}, for {len(summary.recipients)} certificate(s)"
    )


@bid_app.command("decrypt")
def decrypt_command(
    source: Annotated[Path, typer.Argument(help="the bid file", exists=True, dir_okay=False)],
    target: Annotated[Path, typer.Argument(help="where to write the content")],
    key: Annotated[
        Path | None, typer.Option(help="the X25519 private key, PKCS#8 PEM or DER")
    ] = None,
    cert: Annotated[
        Path | None, typer.Option(help="its certificate (else every entry is tried)")
    ] = None,
    key_password: Annotated[
        str | None,
        typer.Option(
            envvar="HUREN_KEY_PASSWORD",
            help="password of an encrypted key (from the environment, not the command line)",
            show_default=False,
        ),
    ] = None,
    device_home: Annotated[
        Path | None,
        typer.Option(help="a device's files: decrypt with its split key and the co-signer"),
    ] = None,
    certificate: Annotated[
        str | None, typer.Option(help="with --device-home: the encryption certificate's SHA-256")
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="with --device-home: the platform the bid is opened at")
    ] = None,
    server: Annotated[
        str, typer.Option(envvar="HUREN_DEVICE_SERVER", help="the node API with the co-signer")
    ] = DEFAULT_SERVER,
    pin: Annotated[
        str | None,
        typer.Option(
            envvar="HUREN_DEVICE_PIN",
            help="the device PIN (asked for when not in the environment)",
            show_default=False,
        ),
    ] = None,
    by_scan: Annotated[
        bool, typer.Option("--by-scan", help="open it with a recipient's phone scanning a code")
    ] = False,
    platform_key: PlatformKey = None,
    tender: Annotated[str | None, typer.Option(help="(--by-scan) the tender's id")] = None,
    title: Annotated[str | None, typer.Option(help="(--by-scan) what the phone shows")] = None,
    wait_s: Annotated[float, typer.Option(help="(--by-scan) how long to wait")] = 300.0,
) -> None:
    """Decrypt SOURCE with one recipient's key: a whole key file (--key), or a device's split
    key (--device-home, --certificate, --platform) whose co-signer returns its decryption share,
    or (--by-scan, the opening hall) a recipient's phone that scans a QR code and returns its
    part sealed to this process; TARGET appears only if the whole file authenticated."""
    from huren.node.bidfile import BidFileError, decrypt

    decapsulator: Decapsulator
    if by_scan:
        if key is not None or device_home is not None:
            console.print("[red]--by-scan takes neither --key nor --device-home[/red]")
            raise typer.Exit(2)
        decapsulator = _decapsulator_by_scan(source, server, platform_key, tender, title, wait_s)
    elif (key is None) == (device_home is None):
        console.print("[red]give either --key or --device-home[/red]")
        raise typer.Exit(2)
    elif device_home is not None:
        decapsulator = _device_decapsulator(device_home, certificate, platform, server, pin)
    else:
        assert key is not None
        decapsulator = _key_decapsulator(key, cert, key_password)
    from huren.device.errors import DeviceError
    from huren.node.keysplit.errors import KeysplitError

    try:
        with (
            source.open("rb") as src,
            _replace_on_success(target) as out,
            _progress("decrypting", source.stat().st_size) as advance,
        ):
            summary = decrypt(src, out, decapsulator, progress=advance)
    except (BidFileError, DeviceError, KeysplitError) as exc:
        raise _fail(exc) from None
    console.print(
        f"wrote {target}: {summary.plaintext_bytes} bytes, opened as {summary.recipient.hex()}"
    )


def _key_decapsulator(key: Path, cert: Path | None, key_password: str | None) -> Decapsulator:
    from huren.node.bidfile import BidFileError, LocalX25519Decapsulator

    try:
        certificate = None if cert is None else cert.read_bytes()
        password = None if key_password is None else key_password.encode()
        return LocalX25519Decapsulator.from_key_bytes(key.read_bytes(), certificate, password)
    except OSError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except BidFileError as exc:
        raise _fail(exc) from None


def _device_decapsulator(
    home: Path, certificate: str | None, platform: str | None, server: str, pin: str | None
) -> Decapsulator:
    from huren import cli_device
    from huren.device.decapsulator import DeviceDecapsulator
    from huren.device.errors import DeviceError
    from huren.device.sdk import Device

    if certificate is None or platform is None:
        console.print("[red]--device-home needs --certificate and --platform[/red]")
        raise typer.Exit(2)
    if not home.is_dir():
        console.print(f"[red]no device files at {home}[/red]")
        raise typer.Exit(2)
    if pin is None:
        pin = typer.prompt("PIN", hide_input=True)
    try:
        # The device's HTTP client comes from ``huren device`` (one seam for tests).
        device = Device(home, cli_device.http_client(server))
        return DeviceDecapsulator(device, certificate, pin=pin, platform=platform)
    except DeviceError as exc:
        raise _fail(exc) from None


# -- by scan (扫码生成投标文件, 开标大厅扫码解密): huren.bid_scan_client ------------------------


def platform_client(server: str, key: str) -> httpx.Client:
    """The platform's HTTP client (tests replace this to reach an app in process)."""
    import httpx

    return httpx.Client(base_url=server, headers={"Authorization": f"Bearer {key}"}, timeout=40)


def _show_qr(view: dict[str, object]) -> None:
    import segno

    payload = str(view["payload"])
    buffer = io.StringIO()
    segno.make(payload, error="m", micro=False).terminal(out=buffer, compact=True)
    console.print(buffer.getvalue(), markup=False, highlight=False)
    console.print(f"scan with the phone (or: huren device scan '{payload}')", markup=False)
    console.print(f"waiting until {view['expires_at']} for the answer…")


def _scan_client(server: str, platform_key: str | None) -> BidScanClient:
    from huren.bid_scan_client import BidScanClient

    if not platform_key:
        console.print("[red]--by-scan needs --platform-key (or HUREN_PLATFORM_KEY)[/red]")
        raise typer.Exit(2)
    return BidScanClient(platform_client(server, platform_key))


def _scan_labels(tender: str | None, title: str | None, fallback: str) -> tuple[str, str]:
    if tender is None:
        console.print("[red]--by-scan needs --tender[/red]")
        raise typer.Exit(2)
    return tender, title or fallback


def _encrypt_by_scan(
    source: Path,
    target: Path,
    server: str,
    platform_key: str | None,
    tender: str | None,
    title: str | None,
    wait_s: float,
    chunk_size: int,
) -> None:
    from huren.bid_scan_client import ChosenByHolder, recipients_from
    from huren.node.bidfile import BidFileError, encrypt

    tender, title = _scan_labels(tender, title, source.name)
    client = _scan_client(server, platform_key)
    try:
        created = client.create_encrypt(tender, title)
        _show_qr(created)
        view = client.wait(str(created["request_id"]), wait_s)
        recipients = recipients_from(view)
        platform = str(view["platform_id"])
        with (
            source.open("rb") as src,
            _replace_on_success(target) as out,
            _progress("encrypting", source.stat().st_size) as advance,
        ):
            summary = encrypt(
                src,
                out,
                recipients,
                platform_id=platform,
                policy=ChosenByHolder([r.fingerprint for r in recipients], platform),
                chunk_size=chunk_size,
                progress=advance,
            )
    except BidFileError as exc:
        raise _fail(exc) from None
    console.print(
        f"wrote {target}: {summary.ciphertext_bytes} bytes, file id {summary.file_id.hex()}, "
        f"for {len(summary.recipients)} certificate(s) chosen by {view['fingerprint']}"
    )


def _decapsulator_by_scan(
    source: Path,
    server: str,
    platform_key: str | None,
    tender: str | None,
    title: str | None,
    wait_s: float,
) -> Decapsulator:
    from huren.bid_scan_client import SealedAnswerDecapsulator
    from huren.node.bidfile import BidFileError
    from huren.node.bidfile.header import read_header

    tender, title = _scan_labels(tender, title, source.name)
    client = _scan_client(server, platform_key)
    try:
        with source.open("rb") as src:
            header = read_header(src)
        created, hall = client.create_decrypt(header, tender, title)
        _show_qr(created)
        view = client.wait(str(created["request_id"]), wait_s)
        return SealedAnswerDecapsulator(view, hall)
    except BidFileError as exc:
        raise _fail(exc) from None
