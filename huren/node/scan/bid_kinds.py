"""扫码生成投标文件 / 扫码解密: the ``encrypt`` and ``decrypt`` scan kinds (docs/scan.md,
docs/bidfile.md "By scan").

Neither is answered through ``ScanService.approve`` (``own_answer``): an encrypt approval is a
signature over the holder's choice of recipients, which the device makes (the message is not
known when the request is created), and a decrypt approval is no signature at all but the
device's DH value sealed to the hall. ``huren.node.scan.bid_answers`` checks and records both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from huren.node.scan.bid_wire import TENDER
from huren.node.scan.errors import InvalidScanRequest
from huren.node.scan.kinds import MAX_TITLE, BaseKind, RequestContext, register_kind
from huren.registry.types import Right

__all__ = ["MAX_ENTRIES", "DecryptKind", "EncryptKind"]

MAX_ENTRIES = 1000  # a bid file's recipient limit
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _title(params: Mapping[str, Any]) -> str:
    title = params.get("title")
    if not isinstance(title, str) or not 0 < len(title.strip()) <= MAX_TITLE:
        raise InvalidScanRequest(f"title is 1 to {MAX_TITLE} characters")
    if _CONTROL.search(title):
        raise InvalidScanRequest("title has no control characters")
    return title.strip()


def _tender(params: Mapping[str, Any]) -> str:
    tender = params.get("tender_id")
    if not isinstance(tender, str) or not TENDER.fullmatch(tender):
        raise InvalidScanRequest("tender_id is 1 to 100 of A-Z a-z 0-9 . _ : / -")
    return tender


class EncryptKind(BaseKind):
    """The bid tool asks which certificates to encrypt a tender's bid file to; the holder
    chooses among its enterprise's encryption certificates and signs the choice."""

    action = "encrypt"
    right = Right.SIGN  # the signing certificate that approves the choice
    cosigner_action = "encrypt"
    ttl_s = 300
    max_ttl_s = 600
    own_answer = True

    def prepare(self, params: Mapping[str, Any], context: RequestContext) -> dict[str, Any]:
        if set(params) - {"tender_id", "title"}:
            raise InvalidScanRequest("an encrypt request takes tender_id and title only")
        return {"tender_id": _tender(params), "title": _title(params)}

    def message(self, content: Mapping[str, Any], context: RequestContext) -> bytes:
        return b""  # the choice is the device's: bid_wire.choice_message


class DecryptKind(BaseKind):
    """The opening hall names a bid file's recipient entries (fingerprint and HPKE ``enc``)
    and its ephemeral X25519 key; the device answers with its DH value sealed to that key."""

    action = "decrypt"
    right = Right.DECRYPT
    cosigner_action = "decrypt"
    ttl_s = 300
    max_ttl_s = 600
    own_answer = True

    def prepare(self, params: Mapping[str, Any], context: RequestContext) -> dict[str, Any]:
        allowed = {"tender_id", "title", "file_id", "recipients", "hall_public_key"}
        if set(params) - allowed:
            raise InvalidScanRequest(f"a decrypt request takes {', '.join(sorted(allowed))}")
        file_id, hall = params.get("file_id"), params.get("hall_public_key")
        if not isinstance(file_id, str) or not _HEX32.fullmatch(file_id):
            raise InvalidScanRequest("file_id is 32 lower-case hex digits")
        if not isinstance(hall, str) or not _HEX64.fullmatch(hall) or hall == "0" * 64:
            raise InvalidScanRequest("hall_public_key is an X25519 key, 64 lower-case hex digits")
        entries = params.get("recipients")
        if not isinstance(entries, list) or not 0 < len(entries) <= MAX_ENTRIES:
            raise InvalidScanRequest(f"recipients lists 1 to {MAX_ENTRIES} entries")
        checked: list[dict[str, str]] = []
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != {"fingerprint", "enc"}:
                raise InvalidScanRequest("a recipient entry is {fingerprint, enc}")
            fp, enc = entry["fingerprint"], entry["enc"]
            if not all(isinstance(v, str) and _HEX64.fullmatch(v) for v in (fp, enc)):
                raise InvalidScanRequest("fingerprint and enc are 64 lower-case hex digits")
            checked.append({"fingerprint": fp, "enc": enc})
        if len({e["fingerprint"] for e in checked}) != len(checked):
            raise InvalidScanRequest("a certificate is listed twice")
        return {
            "tender_id": _tender(params),
            "title": _title(params),
            "file_id": file_id,
            "recipients": checked,
            "hall_public_key": hall,
        }

    def message(self, content: Mapping[str, Any], context: RequestContext) -> bytes:
        return b""  # not a signature: the answer is sealed to the hall (bid_wire.seal_to_hall)


register_kind(EncryptKind())
register_kind(DecryptKind())
