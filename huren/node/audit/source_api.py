"""A node's index as its API shows it, as a ``Snapshot``.

The consortium reads (``/v1/consortium/...``) list members, CAs with operators and issuer
keys, platforms, the quorum and proposals with their votes in full, each with the event that
last set it. Certificates are asked for through ``POST /v1/recognition/batch`` (1,000 at a
time, at one platform): the answer says whether the node knows the certificate, whether it
is revoked, and cites the recording and revocation events. The API shows no validity window,
holder, issuer key, binding or authorization record as such: those are compared by database
URL (``source_index``) only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from huren.node.audit.records import Snapshot, event_fields, vote_key
from huren.node.audit.replay import ReplayedState

__all__ = [
    "API_BATCH",
    "ApiError",
    "ApiTransport",
    "HttpTransport",
    "read_api",
]

API_BATCH = 1_000  # the recognition batch endpoint's limit
PROPOSAL_PAGE = 500
Progress = Callable[[int, int], None]


class ApiError(Exception):
    """The node's API could not be read (unreachable, refused, or not a huren answer)."""


class ApiTransport(Protocol):
    """GET and POST JSON against one node's API (its base URL and key already set)."""

    @property
    def name(self) -> str: ...

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...

    def post(self, path: str, body: dict[str, Any]) -> Any: ...


class HttpTransport:
    """``ApiTransport`` over HTTP(S) with the standard library, the key as a bearer token."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 60.0) -> None:
        self.name = f"api {base_url.rstrip('/')}"
        self._base = base_url.rstrip("/")
        self._key = api_key
        self._timeout = timeout_s

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        return self._send(urllib.request.Request(self._base + path + query, method="GET"))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        request = urllib.request.Request(self._base + path, data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> Any:
        request.add_header("Authorization", f"Bearer {self._key}")
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            raise ApiError(f"{request.full_url}: HTTP {exc.code} {detail}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ApiError(f"{request.full_url}: {exc}") from exc


def _last_event(value: dict[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    return _position("event", value)


def _position(prefix: str, e: dict[str, Any] | None) -> dict[str, Any]:
    if e is None:
        return event_fields(prefix, None, None, None, None)
    return {
        f"{prefix}.block_number": e["block_number"],
        f"{prefix}.block_hash": e["block_hash"],
        f"{prefix}.transaction_hash": e["transaction_hash"],
        f"{prefix}.log_index": e["log_index"],
    }


def read_api(
    api: ApiTransport,
    state: ReplayedState,
    *,
    platform: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """What the node behind ``api`` shows of the records the replay has; certificates are
    asked for at ``platform`` (default: the first active platform on chain)."""
    snap = Snapshot(api.name, complete={"member", "ca", "ca_operator", "platform", "proposal"})
    try:
        _consortium(api, snap)
        _certificates(api, state, snap, platform, progress)
    except (KeyError, TypeError) as exc:
        raise ApiError(f"{api.name}: not a huren answer ({exc!r})") from exc
    return snap


def _consortium(api: ApiTransport, snap: Snapshot) -> None:
    for m in api.get("/v1/consortium/members"):
        fields = {"name": m["name"], "region_code": m["region_code"], "index": m["index"]}
        snap.put(
            "member",
            m["account"],
            {**fields, "active": m["active"], **_last_event(m["last_event"])},
        )
    snap.kind("ca_operator")
    for c in api.get("/v1/consortium/cas"):
        snap.put(
            "ca",
            c["id"],
            {
                "name": c["name"],
                "status": c["status"],
                "index": c["index"],
                "issuer_key_ids": [k.lower() for k in c["issuer_key_ids"]],
                **_last_event(c["last_event"]),
            },
        )
        for account in c["operators"]:
            snap.put("ca_operator", f"{c['id']}:{account}", {"ca_id": c["id"]})
    for p in api.get("/v1/consortium/platforms"):
        fields = {"center": p["center"], "name": p["name"], "active": p["active"]}
        snap.put("platform", p["id"], {**fields, **_last_event(p["last_event"])})
    q = api.get("/v1/consortium/quorum")
    snap.put("quorum", "quorum", {"percent": q["percent"], **_last_event(q["last_event"])})
    snap.complete.add("vote")
    snap.kind("vote")
    offset = 0
    while True:
        page = api.get("/v1/consortium/proposals", {"limit": PROPOSAL_PAGE, "offset": offset})
        for p in page:
            # "expired" is the node's reading of an open proposal past its expiry.
            status = "open" if p["status"] == "expired" else p["status"]
            snap.put(
                "proposal",
                str(p["id"]),
                {
                    "kind": p["kind"],
                    "status": status,
                    "proposer": p["proposer"],
                    "expires_at": p["expires_at"],
                    "yes": p["yes"],
                    "no": p["no"],
                    **_last_event(p["last_event"]),
                },
            )
            for v in p["votes"]:
                snap.put("vote", vote_key(p["id"], v["voter"]), {"support": v["support"]})
        if len(page) < PROPOSAL_PAGE:
            break
        offset += PROPOSAL_PAGE


def _certificates(
    api: ApiTransport,
    state: ReplayedState,
    snap: Snapshot,
    platform: str | None,
    progress: Progress | None,
) -> None:
    records = snap.kind("certificate")
    if platform is None:
        platform = next((p for p, s in state.platforms.items() if s.active), None)
        if platform is None:
            snap.notes.append("no active platform to ask for certificates at: not compared")
            del snap.records["certificate"]
            return
    snap.notes.append(f"certificates asked for at platform {platform}")
    fingerprints: Sequence[bytes] = list(state.certificates)
    for lo in range(0, len(fingerprints), API_BATCH):
        chunk = ["0x" + fp.hex() for fp in fingerprints[lo : lo + API_BATCH]]
        answer = api.post("/v1/recognition/batch", {"fingerprints": chunk, "platform": platform})
        for result in answer["results"]:
            reasons = set(result["reasons"])
            if "UNKNOWN_CERTIFICATE" in reasons:
                continue
            cited = {e["role"]: e for e in result["evidence"]}
            key = result["fingerprint"].lower()
            key = key if key.startswith("0x") else "0x" + key
            records[key] = {
                "status": "revoked" if "REVOKED" in reasons else "active",
                **_position("event", cited.get("certificate")),
                **_position("revocation", cited.get("revocation")),
            }
        if progress is not None:
            progress(min(lo + API_BATCH, len(fingerprints)), len(fingerprints))
