"""Zones (``/v1/zones``, 专区 manual 2.15): the holder binds a certificate to a platform's
zone and unbinds it, each with an SMS code to the account's phone and the certificate's
signature over a statement (``huren.node.zones.statement``); the node records the change on
chain when it acts for the platform's center. The holder lists their certificates' zones,
a platform its zone (its key), the center operator reads the statement behind an evidence
hash (admin key).

The service is the node's (``node.zones``) or built on first use from the node's engine,
typed client and account services (tests put their own, with a clock, on
``app.state.zones``).
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep, ClientDep
from huren.api.account_schemas import CodeSentOut
from huren.api.deps import AdminDep, CallerDep
from huren.api.problems import ApiProblem, problem_response
from huren.api.schemas import FINGERPRINT_PATTERN, parse_fingerprint
from huren.api.zone_schemas import (
    ChangeIn,
    ChangeOut,
    EvidenceOut,
    StatementIn,
    StatementOut,
    ZoneCodeIn,
    ZoneOut,
)
from huren.node.recognition import canonical_id
from huren.node.zones.service import ZoneService
from huren.registry.errors_base import InvalidIdentifier

ZONE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCOUNT_RESPONSES,
    400: problem_response("A wrong, used or expired SMS code (WRONG_CODE, CODE_EXPIRED, ...)"),
    403: problem_response(
        "Refused (ZONE_SIGNATURE_INVALID, NOT_PLATFORM_CENTER, NOT_CERTIFICATE_HOLDER, "
        "CERTIFICATE_NOT_RECOGNIZED, ADMIN_ONLY, PLATFORM_MISMATCH)"
    ),
    404: problem_response("Unknown (UNKNOWN_PLATFORM, UNKNOWN_CERTIFICATE, ZONE_NOT_FOUND)"),
    409: problem_response(
        "The state forbids it (ALREADY_BOUND, NOT_BOUND, ZONE_STATEMENT_REPLAYED, ...)"
    ),
    502: problem_response("The chain answered unexpectedly (CHAIN_ERROR)"),
}
router = APIRouter(prefix="/v1/zones", tags=["zones"], responses=ZONE_RESPONSES)
Fingerprint = Annotated[str, Path(pattern=FINGERPRINT_PATTERN)]
EvidenceHash = Annotated[str, Path(pattern=r"^(?:0x)?[0-9a-fA-F]{64}$")]
_create = threading.Lock()


def get_zones(request: Request) -> ZoneService:
    state = request.app.state
    service: ZoneService | None = getattr(state, "zones", None)
    if service is None:
        service = getattr(state.node, "zones", None)
    if service is None:
        with _create:
            service = getattr(state, "zones", None)
            if service is None:
                accounts = getattr(state, "account_services", None)
                if accounts is None:
                    raise ApiProblem(503, "ACCOUNTS_UNAVAILABLE", "this node serves no accounts")
                node = state.node
                service = ZoneService(node.engine, node.client, accounts.accounts)
                state.zones = service
    return service


ZonesDep = Annotated[ZoneService, Depends(get_zones)]


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ApiProblem(422, "VALIDATION_FAILED", f"{what} is not standard base64") from None


def _platform(platform_id: str) -> str:
    try:
        return canonical_id(platform_id)
    except InvalidIdentifier as exc:
        raise ApiProblem(422, "VALIDATION_FAILED", f"platform_id: {exc}") from None


@router.post("/sms-codes", status_code=status.HTTP_202_ACCEPTED)
def send_code(
    body: ZoneCodeIn, account: AccountDep, zones: ZonesDep, client: ClientDep
) -> CodeSentOut:
    """Send a code for binding (绑定专区) or unbinding (解绑专区) to the account's phone; the
    accounts' limits apply (429 with Retry-After)."""
    sent = zones.send_code(account.id, body.action, client)
    return CodeSentOut(expires_in=sent.expires_in, resend_after=sent.resend_after)


@router.post("/statements", status_code=status.HTTP_201_CREATED)
def prepare(body: StatementIn, account: AccountDep, zones: ZonesDep) -> StatementOut:
    """A fresh statement to sign with the certificate (the device checks its fields before
    signing). Nothing is stored; it expires after 300 s."""
    statement = zones.prepare(
        account.id, body.action, parse_fingerprint(body.fingerprint), _platform(body.platform_id)
    )
    return StatementOut.of(statement)


def _change(zones: ZoneService, account_id: str, body: ChangeIn, action: str) -> ChangeOut:
    args = (
        account_id,
        _b64(body.statement, "statement"),
        _b64(body.signature, "signature"),
        body.code,
        None if body.certificate is None else _b64(body.certificate, "certificate"),
    )
    change = zones.bind(*args) if action == "bind" else zones.unbind(*args)
    return ChangeOut.of(change)


@router.post("/bind", status_code=status.HTTP_201_CREATED)
def bind(body: ChangeIn, account: AccountDep, zones: ZonesDep) -> ChangeOut:
    """Bind the statement's certificate to the platform's zone, on chain (201 once mined)."""
    return _change(zones, account.id, body, "bind")


@router.post("/unbind")
def unbind(body: ChangeIn, account: AccountDep, zones: ZonesDep) -> ChangeOut:
    """Unbind the statement's certificate from the platform's zone, on chain."""
    return _change(zones, account.id, body, "unbind")


@router.get("")
def my_zones(account: AccountDep, zones: ZonesDep) -> list[ZoneOut]:
    """The zones the account's certificates are bound to (as the index holds them)."""
    return [ZoneOut.of(v) for v in zones.zones_of_account(account.id)]


@router.get("/certificates/{fingerprint}")
def certificate_zones(
    fingerprint: Fingerprint, account: AccountDep, zones: ZonesDep
) -> list[ZoneOut]:
    """The zones one of the account's certificates is bound to (404 if it is not theirs)."""
    views = zones.zones_of_certificate(account.id, parse_fingerprint(fingerprint))
    return [ZoneOut.of(v) for v in views]


@router.get("/platforms/{platform_id}")
def platform_zone(platform_id: str, caller: CallerDep, zones: ZonesDep) -> list[ZoneOut]:
    """The certificates bound to the platform's zone: its own key, or the admin key."""
    pid = _platform(platform_id)
    if not caller.is_admin and caller.platform_id != pid:
        raise ApiProblem(403, "PLATFORM_MISMATCH", "a platform key reads its own zone only")
    return [ZoneOut.of(v) for v in zones.zone_of_platform(pid)]


@router.get("/evidence/{evidence_hash}")
def evidence(evidence_hash: EvidenceHash, _: AdminDep, zones: ZonesDep) -> EvidenceOut:
    """The signed statement behind an on-chain evidence hash, for auditors (admin key)."""
    return EvidenceOut.of(zones.evidence(bytes.fromhex(evidence_hash.removeprefix("0x"))))
