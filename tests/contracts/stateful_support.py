"""Support for the stateful contract test: a fresh embedded chain per example, the account and
id pools, value normalization, and the comparison of every contract view with the model.

The machine itself (rules) is in ``test_stateful.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import strategies as st

from huren.registry.backend import TransactionReverted, TxRequest
from huren.registry.client import RegistryClient
from huren.registry.client_core import REGISTRY
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.embedded import EmbeddedBackend
from huren.registry.errors import ContractError, decode_revert
from huren.registry.ids import InvalidIdentifier, encode_id
from tests.contracts import model_governance as g
from tests.contracts import model_registry as r
from tests.contracts.model import ModelState, new_state, recognize

VOTING_PERIOD = 3 * 86_400
START_TIME = 1_800_000_000

# Accounts: two founders, two candidate centers, two CA operators, one outsider.
F0, F1, C2, C3, O0, O1, X = range(7)
ACCOUNTS: tuple[LocalAccount, ...] = tuple(
    Account.from_key((0x1000 + i).to_bytes(32, "big")) for i in range(7)
)
ADDRS = tuple(a.address for a in ACCOUNTS)
ZERO_ADDR = g.ZERO_ADDRESS
ZERO_ID_STR = "0x" + "00" * 32  # the zero bytes32 in the client's id form
FOUNDERS = ((ADDRS[F0], "Hangzhou", 330100), (ADDRS[F1], "Nanjing", 320100))

CA_IDS = ("ca-a", "ca-b", "ca-c")
PLATFORM_IDS = ("pf-1", "pf-2", "pf-3", "pf-4")
KEYS = tuple(bytes([0x10 + i]) * 32 for i in range(4))
FPS = tuple(hashlib.sha256(bytes([i])).digest() for i in range(8))
HOLDER = bytes([0xAA]) * 32
EVIDENCE = bytes([0xEE]) * 32


def pick(data: Any, good: Any, every: Any) -> Any:
    """Mostly one of ``good`` (choices likely to pass), else any of ``every``."""
    good = list(good)
    if good and data.draw(st.integers(0, 5), label="prefer valid") > 0:
        return data.draw(st.sampled_from(good))
    return data.draw(st.sampled_from(list(every)))


def bid(value: str) -> bytes:
    """A client id (``str``) as the model's bytes32."""
    return encode_id(value)


def norm(value: Any) -> Any:
    """A comparable form: bytes and ids as hex of their bytes32, addresses lower-case."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        if len(value) == 42 and value[:2].lower() == "0x":
            return value.lower()
        try:  # ids and names alike: an id's text and its bytes32 hex compare equal
            return "0x" + encode_id(value).hex()
        except InvalidIdentifier:
            return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, tuple | list):
        return tuple(norm(v) for v in value)
    return value


def error_of(exc: ContractError) -> tuple[str, Any]:
    return type(exc).__name__, norm(tuple(getattr(exc, f) for f in exc.fields))


class Chain:
    """A fresh embedded chain with both contracts deployed, and one client per account."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="huren-stateful-"))
        self.now = START_TIME
        self.backend = EmbeddedBackend(self.dir / "chain", clock=lambda: self.now)
        deployer = Account.from_key((0x2000).to_bytes(32, "big"))
        founders = [FoundingMember(a, n, c) for a, n, c in FOUNDERS]
        self.deployment = deploy(self.backend, deployer, founders, VOTING_PERIOD)
        reader = RegistryClient(self.backend, self.deployment)
        self.reader = reader
        self.clients = tuple(reader.with_account(a) for a in ACCOUNTS)

    def head_time(self) -> int:
        return self.backend.block(self.backend.block_number()).timestamp

    def raw_record(
        self, sender: int, ca_id: str, key: bytes, certs: list[r.CertInput], *, batch: bool
    ) -> None:
        """recordCertificate(s) with inputs the typed client refuses to build, so that the
        contract's own input checks are exercised too."""
        words = b"".join(raw_input(c) for c in certs)
        if batch:
            head = (3 * 32).to_bytes(32, "big") + len(certs).to_bytes(32, "big")
            data = REGISTRY["recordCertificates"] + bid(ca_id) + key + head + words
        else:
            data = REGISTRY["recordCertificate"] + bid(ca_id) + key + words
        request = TxRequest(ACCOUNTS[sender], self.deployment.registry, data)
        try:
            self.backend.send(request)
        except TransactionReverted as exc:
            raise decode_revert(exc.revert_data, exc.transaction_hash) from exc

    def close(self) -> None:
        self.backend.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def raw_input(c: r.CertInput) -> bytes:
    ints = (c.not_before, c.not_after, c.kind, c.usage, c.scope, int(c.center, 16))
    return c.fingerprint + c.holder + c.predecessor + b"".join(i.to_bytes(32, "big") for i in ints)


def expect(label: str, call: Callable[[], Any], model: Callable[[], Any]) -> Any:
    """Compare a view: same normalized value, or the same error in both."""
    try:
        want: Any = ("ok", norm(model()))
    except g.Revert as rev:
        want = (rev.name, norm(rev.args_))
    try:
        got: Any = ("ok", norm(call()))
    except ContractError as exc:
        got = error_of(exc)
    assert got == want, f"{label}: contract {got} != model {want}"
    return got


@dataclasses.dataclass
class Focus:
    """What the views compare after one step. Every step compares all counts, lists,
    statuses, CAs, platforms, certificates and open proposals, plus whatever the step named
    (``proposals`` voted on, ``pairs`` of fingerprint and platform, certificates ``fps``
    recorded or revoked) and a rotating sample of
    the rest; ``full`` (at the end of each example) compares every combination of the pools.
    """

    tick: int
    proposals: set[int]
    pairs: set[tuple[bytes, str]]
    seen: set[tuple[bytes, str]]  # every pair named so far
    fps: set[bytes]  # certificates the step recorded or revoked
    full: bool = False


def check_all(chain: Chain, s: ModelState, focus: Focus) -> None:
    assert chain.head_time() == s.head_time
    check_governance(chain.reader, s, focus)
    check_registry(chain.reader, s, focus)
    check_recognition_sample(chain, s, focus.tick, focus.full)


def check_governance(c: RegistryClient, s: ModelState, focus: Focus) -> None:
    gov, tick, full = s.gov, focus.tick, focus.full
    assert sorted(norm(c.members())) == sorted(norm(gov.current))
    assert c.quorum_percent() == gov.quorum
    for addr in ADDRS if full else {*gov.members, ADDRS[tick % len(ADDRS)]}:
        m = gov.members.get(addr) or g.Member("", 0, 0, False)
        got = c.member(addr)
        want = (m.name, m.region_code, m.index, m.active)
        assert (got.name, got.region_code, got.index, got.active) == want, addr
    assert norm(c.ca_ids()) == norm(gov.ca_by_index)
    for ca_id in CA_IDS:
        expect(f"ca {ca_id}", lambda i=ca_id: _ca_view(c.ca(i)), lambda i=ca_id: _ca_model(s, i))
    for key in KEYS if full or focus.proposals else [KEYS[tick % len(KEYS)]]:
        owner = gov.ca_of_key.get(key)
        assert norm(c.ca_of_issuer_key(key)) == norm(owner), key.hex()
    assert norm(c.platform_ids()) == norm(gov.platform_ids)
    for pid in PLATFORM_IDS:
        expect(
            f"platform {pid}", lambda i=pid: _pf_view(c.platform(i)), lambda i=pid: _pf_model(s, i)
        )
    latest = len(gov.proposals)
    assert c.proposal_count() == latest
    # Only open proposals and those the step named can change (closed ones were compared
    # when they closed); one more rotates through the rest.
    wanted = {n for n, p in enumerate(gov.proposals, 1) if p.status == g.P_OPEN}
    wanted |= focus.proposals | ({tick % latest + 1} if latest else set())
    for n in range(1, latest + 1) if full else sorted(wanted):
        p = gov.proposals[n - 1]
        got = c.proposal(n)
        action = dataclasses.astuple(got.action)  # type: ignore[arg-type]
        got_t = (
            got.kind,
            got.status,
            got.proposer,
            got.created_at,
            got.expires_at,
            got.yes,
            got.no,
            action,
        )
        want_t = (
            p.kind,
            g.proposal_status(p, s.head_time),
            p.proposer,
            p.created_at,
            p.expires_at,
            *g.reported_votes(gov, p),
            p.payload,
        )
        assert norm(got_t) == norm(want_t), f"proposal {n}"
    for n in range(1, latest + 1) if full else focus.proposals:
        for addr in ADDRS:
            assert c.vote_of(n, addr) == gov.proposals[n - 1].votes.get(addr, 0), (n, addr)


def check_registry(c: RegistryClient, s: ModelState, focus: Focus) -> None:
    reg = s.reg
    assert c.certificate_count() == reg.count
    # A record changes only when an operation names it; one more rotates through the rest.
    for fp in FPS if focus.full else sorted({*focus.fps, FPS[focus.tick % len(FPS)]}):
        expect(
            f"certificate {fp.hex()[:8]}",
            lambda f=fp: _cert_view(c.certificate(f)),
            lambda f=fp: _cert_model(s, f),
        )
    if focus.full:
        pairs = {(f, p) for f in (*FPS, g.ZERO_ID) for p in PLATFORM_IDS}
    else:
        model_pairs = {
            (f, p.rstrip(b"\0").decode()) for f, p in (*reg.bindings, *reg.authorizations)
        }
        extra = sorted(focus.seen)[focus.tick % len(focus.seen)] if focus.seen else None
        pairs = model_pairs | focus.pairs | ({extra} if extra else set())
    for fp, pid in pairs:
        assert c.binding(fp, pid) == reg.bindings.get((fp, bid(pid))), ("binding", fp, pid)
        a = c.authorization(fp, pid)
        got_a = None if a is None else (a.enterprise_fingerprint, int(a.rights))
        assert got_a == reg.authorizations.get((fp, bid(pid))), ("authorization", fp, pid)


def check_recognition_sample(chain: Chain, s: ModelState, tick: int, full: bool) -> None:
    """recognizeAt for a rotating sample of the recorded certificates (and an unknown one),
    each at a rotating platform, action and time around its validity bounds (``full``: every
    certificate at every platform); recognize (now) for one of them."""
    platforms = (*PLATFORM_IDS, ZERO_ID_STR)
    fps = [*s.reg.records, FPS[(tick * 5) % len(FPS)]]
    if full:
        combos = [(fp, p) for fp in fps for p in range(len(platforms))]
    else:
        combos = [(fps[(tick * 4 + k) % len(fps)], tick + k) for k in range(min(4, len(fps)))]
    for n, (fp, p) in enumerate(combos):
        rec = s.reg.records.get(fp)
        times = [s.head_time, START_TIME]
        if rec is not None:
            times += [rec.not_before - 1, rec.not_before, rec.not_after, rec.not_after + 1]
        action = r.ACTIONS[(tick * 7 + n) % len(r.ACTIONS)]
        at = times[(tick * 3 + n) % len(times)]
        compare_recognition(chain, s, fp, platforms[p % len(platforms)], action, at)
    fp = fps[tick % len(fps)]
    pid = platforms[tick % len(platforms)]
    expect(
        "recognize now",
        lambda: _recognition(chain.reader.recognize(fp, pid, 0)),
        lambda: recognize(s, fp, bid(pid), 0, s.head_time),
    )


REASON_NAMES = {
    v: k.removeprefix("REASON_").lower() for k, v in vars(r).items() if k.startswith("REASON_")
}
RECOGNITION: Counter[str] = Counter()  # outcomes compared, for the run's report


def compare_recognition(
    chain: Chain, s: ModelState, fp: bytes, pid: str, action: int, at: int
) -> None:
    got = expect(
        f"recognizeAt({fp.hex()[:8]}, {pid}, action {action}, t {at})",
        lambda: _recognition(chain.reader.recognize_at(fp, pid, at, action)),
        lambda: recognize(s, fp, bid(pid), action, at),
    )
    if got[0] != "ok":
        RECOGNITION[got[0]] += 1
    elif got[1][0]:
        RECOGNITION["recognized"] += 1
    else:
        for bit in REASON_NAMES:
            if got[1][1] & bit:
                RECOGNITION[REASON_NAMES[bit]] += 1


def _recognition(rec: Any) -> tuple[bool, int]:
    return rec.recognized, int(rec.reasons)


def _ca_view(ca: Any) -> tuple[Any, ...]:
    return ca.name, ca.status, ca.index, ca.issuer_key_ids, tuple(sorted(norm(ca.operators)))


def _ca_model(s: ModelState, ca_id: str) -> tuple[Any, ...]:
    ca = s.gov.cas.get(bid(ca_id))
    if ca is None:
        raise g.Revert("UnknownCa", bid(ca_id))
    ops = tuple(sorted(norm(s.gov.operators.get(bid(ca_id), []))))
    return ca.name, ca.status, ca.index, ca.issuer_key_ids, ops


def _pf_view(p: Any) -> tuple[Any, ...]:
    return p.center, p.name, p.active


def _pf_model(s: ModelState, pid: str) -> tuple[Any, ...]:
    p = s.gov.platforms.get(bid(pid))
    if p is None:
        raise g.Revert("UnknownPlatform", bid(pid))
    return p.center, p.name, p.active


def _cert_view(v: Any) -> tuple[Any, ...]:
    return (
        v.ca_id,
        v.predecessor or g.ZERO_ID,
        v.not_before,
        v.not_after,
        v.kind,
        v.usage,
        v.scope,
        v.center or ZERO_ADDR,
        v.status,
        v.revocation_reason or 0,
        v.revoked_at or 0,
    )


def _cert_model(s: ModelState, fp: bytes) -> tuple[Any, ...]:
    rec = s.reg.records.get(fp)
    if rec is None:
        raise g.Revert("UnknownCertificate", fp)
    ca_id = s.gov.ca_by_index[rec.ca_index - 1]
    return (
        ca_id,
        rec.predecessor,
        rec.not_before,
        rec.not_after,
        rec.kind,
        rec.usage,
        rec.scope,
        r.certificate_center(s.gov, rec),
        rec.status,
        rec.revocation_reason,
        rec.revoked_at,
    )


def fresh_model(chain: Chain) -> ModelState:
    return new_state(list(FOUNDERS), VOTING_PERIOD, chain.head_time())
