"""The off-chain recognition rule: it agrees with ``CertificateRegistry.recognizeAt`` over
random chain states (property test), cites the events it rests on, and answers a batch of
1,000 fingerprints in a handful of queries."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event
from sqlmodel import Session

from huren.node import demo, recognition
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.node.recognition import (
    MAX_BATCH,
    IndexCache,
    InvalidAction,
    ReadTransaction,
    TooManyFingerprints,
    read_transaction,
    reason_codes,
    recognize,
    recognize_many,
)
from huren.registry import event_types as ev
from huren.registry.client import ProposalResult, RegistryClient
from huren.registry.embedded import EmbeddedBackend
from huren.registry.errors import CaNotAccredited, CertificateNotActive
from huren.registry.errors_base import InvalidIdentifier
from huren.registry.event_types import ChainEvent
from huren.registry.types import (
    MAX_TIMESTAMP,
    CertificateInput,
    CertificateKind,
    Deployment,
    KeyUsage,
    Reason,
    RevocationReason,
    Right,
    Scope,
)
from tests.node.conftest import SeededChain

T0 = 1_800_000_000
LAST_DATETIME = 253_402_300_799  # 9999-12-31T23:59:59Z, the last time datetime can hold
DAY = 86_400
ACTIONS = [0, *Right]
CENTER_KEYS = [c.key for c in demo.CENTERS]


def fp(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def cert(label: str, **fields: object) -> CertificateInput:
    values: dict[str, object] = {
        "fingerprint": fp(label),
        "holder": fp("holder"),
        "not_before": T0 - 30 * DAY,
        "not_after": T0 + 365 * DAY,
        "kind": CertificateKind.ENTERPRISE,
        "usage": KeyUsage.SIGNING,
        "scope": Scope.ALLIANCE,
    }
    values.update(fields)
    return CertificateInput(**values)  # type: ignore[arg-type]


@dataclass
class CertInfo:
    ca_id: str
    kind: CertificateKind
    active: bool = True
    bounds: tuple[int, int] = (0, 0)


@dataclass
class World:
    """A chain and its index, with just enough of a model to choose operations that the
    contracts accept (the chain itself is the oracle for recognition)."""

    backend: EmbeddedBackend
    deployment: Deployment
    engine: Engine
    members: list[str] = field(default_factory=lambda: list(CENTER_KEYS))
    cas: dict[str, bool] = field(default_factory=lambda: {c.ca_id: True for c in demo.CAS})
    platforms: dict[str, tuple[str, bool]] = field(
        default_factory=lambda: {p.platform_id: (p.center, True) for p in demo.PLATFORMS}
    )
    certs: dict[bytes, CertInfo] = field(default_factory=dict)
    auths: dict[tuple[bytes, str], bool] = field(default_factory=dict)
    serial: int = 0

    def as_(self, account: object) -> RegistryClient:
        return RegistryClient(self.backend, self.deployment, account)  # type: ignore[arg-type]

    def ca_op(self, ca_id: str) -> RegistryClient:
        return self.as_(demo.ca_operator_account(ca_id))

    def govern(self, propose: Callable[[RegistryClient], ProposalResult]) -> ProposalResult:
        proposer, *others = self.members
        result = propose(self.as_(demo.center_account(proposer)))
        for member in others:
            if result.executed:
                break
            result = self.as_(demo.center_account(member)).vote(result.proposal_id, True)
        assert result.executed
        return result

    def record(self, ca_id: str, certs: list[CertificateInput]) -> None:
        self.ca_op(ca_id).record_certificates(ca_id, demo.issuer_key_id(ca_id), certs)
        self.remember(ca_id, certs)

    def remember(self, ca_id: str, certs: list[CertificateInput]) -> None:
        for c in certs:
            self.certs[c.fingerprint] = CertInfo(ca_id, c.kind, True, (c.not_before, c.not_after))

    def index(self) -> None:
        indexer = Indexer(self.engine, self.backend, self.deployment)
        while not indexer.step().caught_up:
            pass


# -- random operations (each a no-op when its precondition does not hold) ----------------------


def op_issue(w: World, rnd: Random) -> None:
    accredited = sorted(c for c, ok in w.cas.items() if ok)
    if not accredited:
        return
    ca_id = rnd.choice(accredited)
    batch = []
    for _ in range(rnd.randint(1, 3)):
        w.serial += 1
        scope = rnd.choice(list(Scope))
        center = None
        if scope == Scope.REGIONAL:
            center = demo.center_account(rnd.choice(w.members)).address
        nb = 0 if rnd.random() < 0.1 else rnd.randint(T0 - 300 * DAY, T0 + 300 * DAY)
        na = MAX_TIMESTAMP if rnd.random() < 0.1 else rnd.randint(nb + 1, nb + 600 * DAY)
        batch.append(
            cert(
                f"cert-{w.serial}-{ca_id}",
                kind=rnd.choice(list(CertificateKind)),
                usage=rnd.choice(list(KeyUsage)),
                scope=scope,
                center=center,
                not_before=nb,
                not_after=na,
            )
        )
    w.record(ca_id, batch)


def op_revoke(w: World, rnd: Random) -> None:
    active = sorted(f for f, c in w.certs.items() if c.active)
    if active:
        f = rnd.choice(active)
        w.ca_op(w.certs[f].ca_id).revoke_certificate(f, rnd.choice(list(RevocationReason)))
        w.certs[f].active = False


def op_suspend(w: World, rnd: Random) -> None:
    accredited = sorted(c for c, ok in w.cas.items() if ok)
    if accredited:
        ca_id = rnd.choice(accredited)
        w.govern(lambda c: c.propose_suspend_ca(ca_id))
        w.cas[ca_id] = False


def op_reaccredit(w: World, rnd: Random) -> None:
    suspended = sorted(c for c, ok in w.cas.items() if not ok)
    if suspended:
        ca_id = rnd.choice(suspended)
        operator = demo.ca_operator_account(ca_id).address
        key = demo.issuer_key_id(ca_id)
        w.govern(lambda c: c.propose_accredit_ca(ca_id, ca_id.upper(), [operator], [key]))
        w.cas[ca_id] = True


def op_retire_platform(w: World, rnd: Random) -> None:
    active = sorted(p for p, (_, ok) in w.platforms.items() if ok)
    if active:
        pid = rnd.choice(active)
        w.govern(lambda c: c.propose_retire_platform(pid))
        w.platforms[pid] = (w.platforms[pid][0], False)


def op_register_platform(w: World, rnd: Random) -> None:
    w.serial += 1
    pid, center = f"p{w.serial}", rnd.choice(w.members)
    address = demo.center_account(center).address
    w.govern(lambda c: c.propose_register_platform(pid, address, pid))
    w.platforms[pid] = (center, True)


def op_remove_member(w: World, rnd: Random) -> None:
    if len(w.members) > 2:
        gone = rnd.choice(w.members)
        w.members.remove(gone)  # the remaining ones propose and vote
        w.govern(lambda c: c.propose_remove_member(demo.center_account(gone).address))
        for pid, (center, _) in w.platforms.items():
            if center == gone:
                w.platforms[pid] = (center, False)


def op_grant(w: World, rnd: Random) -> None:
    staff = sorted(f for f, c in w.certs.items() if c.active and c.kind == CertificateKind.STAFF)
    ents = sorted(
        f for f, c in w.certs.items() if c.active and c.kind == CertificateKind.ENTERPRISE
    )
    platforms = sorted(p for p, (_, ok) in w.platforms.items() if ok)
    if staff and ents and platforms:
        s, e = rnd.choice(staff), rnd.choice(ents)
        pid = rnd.choice(platforms)
        try:
            w.ca_op(w.certs[s].ca_id).grant_authorization(s, pid, e, rnd.randint(1, 31))
        except (CaNotAccredited, CertificateNotActive):
            return  # a suspended CA, or a certificate outside its validity now: refused
        w.auths[(s, pid)] = True


def op_revoke_authorization(w: World, rnd: Random) -> None:
    granted = sorted(k for k, ok in w.auths.items() if ok)
    if granted:
        s, pid = rnd.choice(granted)
        w.ca_op(w.certs[s].ca_id).revoke_authorization(s, pid)
        w.auths[(s, pid)] = False


OPERATIONS = [
    op_issue, op_issue, op_issue, op_revoke, op_suspend, op_reaccredit, op_retire_platform,
    op_register_platform, op_remove_member, op_grant, op_grant, op_revoke_authorization,
]  # fmt: skip
XC = demo.center_account("xuancheng").address
TEMPLATE_CERTS = {
    "zjca": [cert("ent"), cert("staff", kind=CertificateKind.STAFF)],
    "jsca": [cert("jsca-enc", usage=KeyUsage.ENCRYPTION, not_before=T0 + DAY)],
    "ahca": [cert("regional", scope=Scope.REGIONAL, usage=KeyUsage.ENCRYPTION, center=XC)],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    """A seeded chain with a few certificates, and its index, built once."""
    root = tmp_path_factory.mktemp("recognition-template")
    backend = EmbeddedBackend(root / "chain", clock=lambda: T0, snapshot_every=0)
    url = f"sqlite:///{root / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        deployment = demo.seed(backend)
        w = World(backend, deployment, engine)
        for ca_id, certs in TEMPLATE_CERTS.items():
            w.record(ca_id, certs)
        w.index()
    finally:
        backend.close()
        engine.dispose()
    return root, deployment


@contextlib.contextmanager
def open_world(template: tuple[Path, Deployment]) -> Iterator[World]:
    """A copy of the template chain and index of one's own."""
    root, deployment = template
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(root, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("LOCK"))
        backend = EmbeddedBackend(Path(tmp) / "chain", clock=lambda: T0, snapshot_every=0)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'node.db'}")
        try:
            w = World(backend, deployment, engine)
            for ca_id, certs in TEMPLATE_CERTS.items():
                w.remember(ca_id, certs)
            yield w
        finally:
            backend.close()
            engine.dispose()


def interesting_times(w: World) -> list[int]:
    out = {0, T0, 2**64 - 1}
    for c in w.certs.values():
        nb, na = c.bounds
        out |= {max(nb - 1, 0), nb, na, na + 1}
    return sorted(out)


# No shrinking: an example costs about half a second of chain work, so shrinking a failure
# takes minutes; the assertion names the disagreeing (certificate, platform, action, time)
# and Hypothesis prints the drawn operations. Add Phase.shrink locally to minimize one.
@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rnd=st.randoms(use_true_random=False))
def test_the_off_chain_rule_agrees_with_the_contract(
    template: tuple[Path, Deployment], rnd: Random
) -> None:
    """Random operations (through the typed client, as CA operators and centers would),
    the index brought up to date, then for several (platform, action, time) every
    certificate's off-chain answer (one batch) against the contract's ``recognizeAt``; then
    a few more operations and the same again, with the CA and platform rows cached since the
    first round (the cache must notice the new blocks)."""
    with open_world(template) as w:
        cache = IndexCache()
        for _ in range(rnd.randint(3, 12)):
            rnd.choice(OPERATIONS)(w, rnd)
        w.index()
        with Session(w.engine) as session:
            check_against_the_chain(w, rnd, session, cache, rounds=8)
        for _ in range(rnd.randint(1, 4)):
            rnd.choice(OPERATIONS)(w, rnd)
        w.index()
        with read_transaction(w.engine) as db:
            check_against_the_chain(w, rnd, db, cache, rounds=4)


def check_against_the_chain(
    w: World, rnd: Random, db: Session | ReadTransaction, cache: IndexCache, rounds: int
) -> None:
    view = RegistryClient(w.backend, w.deployment)
    fps = [*sorted(w.certs), fp("never recorded")]
    platforms = [*sorted(w.platforms), "no-such-platform"]
    times = interesting_times(w)
    for _ in range(rounds):
        platform, action = rnd.choice(platforms), rnd.choice(ACTIONS)
        at = rnd.choice(times) if rnd.random() < 0.8 else rnd.randint(0, 2**64 - 1)
        answers = recognize_many(db, fps, platform, action, at, cache=cache)
        for f, answer in zip(fps, answers, strict=True):
            chain = view.recognize_at(f, platform, at, action)
            off = (answer.recognized, answer.reasons)
            assert off == (chain.recognized, chain.reasons), (f.hex(), platform, action, at)
        # About now, at a clock reading anywhere: answers reused from the cache (settled at
        # earlier readings, rounds and checkpoints) are the answers computed afresh.
        now = datetime.fromtimestamp(min(rnd.choice(times), LAST_DATETIME), UTC)
        clock = functools.partial(lambda t: t, now)
        reused = recognize_many(db, fps, platform, action, cache=cache, clock=clock)
        fresh = recognize_many(db, fps, platform, action, clock=clock)
        assert reused == fresh, (platform, action, now)


# -- deterministic checks, on SQLite and PostgreSQL ----------------------------------------------


@pytest.fixture
def world(seeded: SeededChain, engine: Engine) -> World:
    return World(seeded.backend, seeded.deployment, engine)


def meta_of(event: ChainEvent) -> tuple[object, ...]:
    m = event.meta
    return (m.block_number, m.block_hash, m.transaction_hash, m.log_index)


def test_an_answer_cites_the_events_it_rests_on(world: World) -> None:
    # The chain runs on the wall clock here: the certificates must be valid now to be granted.
    since = 1_700_000_000
    ent = cert("ent", not_before=since)
    staff = cert("staff", kind=CertificateKind.STAFF, not_before=since)
    zjca = world.ca_op("zjca")
    recorded = zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [ent, staff])
    granted = zjca.grant_authorization(staff.fingerprint, "jiaxing-ggzy", ent.fingerprint, 2)
    revoked = zjca.revoke_certificate(staff.fingerprint, RevocationReason.KEY_COMPROMISE)
    suspended = world.govern(lambda c: c.propose_suspend_ca("zjca"))
    world.index()
    with Session(world.engine) as session:
        answer = recognize(session, staff.fingerprint, "jiaxing-ggzy", Right.SIGN, T0, lag=3)
    assert not answer.recognized
    assert answer.reasons == Reason.CA_NOT_ACCREDITED | Reason.REVOKED
    assert answer.reason_codes == ["CA_NOT_ACCREDITED", "REVOKED"]
    assert answer.index_lag == 3 and answer.indexed_block == world.backend.block_number()
    cited = {e.role: e for e in answer.evidence}
    assert {r: e.event for r, e in cited.items()} == {
        "certificate": "CertificateRecorded",
        "revocation": "CertificateRevoked",
        "ca": "CaSuspended",
        "platform": "PlatformRegistered",
        "authorization": "AuthorizationGranted",
        "enterprise_certificate": "CertificateRecorded",
    }
    expected = {
        "certificate": meta_of(recorded.events_of(ev.CertificateRecorded)[1]),  # staff's
        "enterprise_certificate": meta_of(recorded.events_of(ev.CertificateRecorded)[0]),
        "authorization": meta_of(granted.events_of(ev.AuthorizationGranted)[0]),
        "revocation": meta_of(revoked.events_of(ev.CertificateRevoked)[0]),
        "ca": meta_of(suspended.events_of(ev.CaSuspended)[0]),
    }
    for role, where in expected.items():
        e = cited[role]
        assert (e.block_number, e.block_hash, e.transaction_hash, e.log_index) == where, role


def test_a_batch_of_a_thousand_takes_at_most_six_queries(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = [cert(f"c{i}", kind=CertificateKind(1 + i % 3)) for i in range(30)]
    world.record("jsca", certs)
    world.index()
    known = [c.fingerprint for c in certs]
    fps = [*known, *known[:5], *(fp(f"unknown {i}") for i in range(MAX_BATCH - 35))]
    statements: list[str] = []

    def spy(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    # The service runs its queries on the DBAPI cursor (``_rows``), the rest through SQLAlchemy.
    run = recognition._rows

    def rows_spy(conn: Connection, name: str, *args: Any, **kw: Any) -> Sequence[Any]:
        statements.append(f"SELECT ({name})")
        return run(conn, name, *args, **kw)

    event.listen(world.engine, "before_cursor_execute", spy)
    monkeypatch.setattr(recognition, "_rows", rows_spy)
    try:
        with Session(world.engine) as session:
            answers = recognize_many(session, fps, "nantong-ggzy", Right.LOGIN, T0)
    finally:
        event.remove(world.engine, "before_cursor_execute", spy)
        monkeypatch.undo()
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert 4 <= len(selects) <= 6, selects  # at least the state, platform, certificates, CAs
    assert [a.fingerprint for a in answers] == fps
    staff = CertificateKind.STAFF
    expected = sum(c.kind != staff for c in certs) + sum(c.kind != staff for c in certs[:5])
    assert sum(a.recognized for a in answers) == expected  # staff hold no authorization
    with Session(world.engine) as session:
        for a in answers[:40]:
            one = recognize(session, a.fingerprint, "nantong-ggzy", Right.LOGIN, T0)
            assert (one.reasons, one.evidence) == (a.reasons, a.evidence)


def test_bad_arguments_are_refused_like_the_contract_does(world: World) -> None:
    world.index()
    with Session(world.engine) as session:
        with pytest.raises(TooManyFingerprints):
            recognize_many(session, [fp("x")] * (MAX_BATCH + 1), "alliance", 0, T0)
        for action in (3, 5, 6, 32, 64, -1, True):
            with pytest.raises(InvalidAction):
                recognize(session, fp("x"), "alliance", action, T0)
        with pytest.raises(InvalidIdentifier):
            recognize(session, b"\x01" * 31, "alliance", 0, T0)
        with pytest.raises(InvalidIdentifier):
            recognize(session, fp("x"), "has space", 0, T0)
        raw = "0x" + b"alliance".ljust(32, b"\0").hex()
        answer = recognize(session, fp("x"), raw, 0, T0)
        assert answer.platform_id == "alliance" and answer.reasons == Reason.UNKNOWN_CERTIFICATE
        unknown = recognize(session, fp("x"), "nope", 0, T0)
        assert unknown.reasons == Reason.UNKNOWN_CERTIFICATE | Reason.UNKNOWN_PLATFORM
        assert not unknown.platform_known and unknown.evidence == ()


def test_reason_codes_are_the_reason_names_lowest_bit_first() -> None:
    assert reason_codes(0) == []
    assert reason_codes(Reason.WRONG_USAGE | Reason.UNKNOWN_CERTIFICATE) == [
        "UNKNOWN_CERTIFICATE",
        "WRONG_USAGE",
    ]
    assert len(reason_codes(1023)) == 10


# -- the index cache ------------------------------------------------------------------------------


EVENTS_OK = {
    "certificate": "CertificateRecorded",
    "ca": "CaAccredited",
    "platform": "PlatformRegistered",
}
EVENTS_OK_NO_PLATFORM = {"certificate": "CertificateRecorded", "ca": "CaAccredited"}


def test_the_cache_keeps_ca_and_platform_rows_while_the_checkpoint_stays(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cached CA and platform rows serve while no block is indexed; a new indexed block (a
    suspension, a retirement, a registration) is seen at once, evidence included."""
    since = 1_700_000_000
    ent = cert("ent", not_before=since)
    world.record("zjca", [ent])
    world.index()
    cache = IndexCache()
    queries: list[str] = []
    run = recognition._rows

    def rows_spy(db: ReadTransaction, name: str, *args: Any, **kw: Any) -> Sequence[Any]:
        queries.append(name)
        return run(db, name, *args, **kw)

    monkeypatch.setattr(recognition, "_rows", rows_spy)

    def ask(platform: str = "jiaxing-ggzy") -> tuple[Reason, dict[str, str]]:
        with read_transaction(world.engine) as db:
            a = recognize(db, ent.fingerprint, platform, Right.SIGN, T0, cache=cache)
        return a.reasons, {e.role: e.event for e in a.evidence}

    assert ask() == (Reason(0), EVENTS_OK)
    assert ask("p-new") == (Reason.UNKNOWN_PLATFORM, EVENTS_OK_NO_PLATFORM)
    queries.clear()
    assert ask() == (Reason(0), EVENTS_OK)
    assert ask("p-new") == (Reason.UNKNOWN_PLATFORM, EVENTS_OK_NO_PLATFORM)
    assert queries == ["state", "certificates"] * 2  # CA and platform (known or not) cached

    world.govern(lambda c: c.propose_suspend_ca("zjca"))
    world.index()
    assert ask() == (Reason.CA_NOT_ACCREDITED, {**EVENTS_OK, "ca": "CaSuspended"})
    world.govern(lambda c: c.propose_retire_platform("jiaxing-ggzy"))
    jiaxing = demo.center_account("jiaxing").address
    world.govern(lambda c: c.propose_register_platform("p-new", jiaxing, "new"))
    world.index()
    suspended = {**EVENTS_OK, "ca": "CaSuspended"}
    assert ask() == (
        Reason.CA_NOT_ACCREDITED | Reason.PLATFORM_RETIRED,
        {**suspended, "platform": "PlatformRetired"},
    )
    assert ask("p-new") == (Reason.CA_NOT_ACCREDITED, suspended)


def test_the_cache_is_per_checkpoint_number_and_hash() -> None:
    cache = IndexCache(max_entries=3)
    first = cache.at((5, b"\x01" * 32))
    assert cache.at((5, b"\x01" * 32)) is first
    assert cache.at((5, b"\x02" * 32)) is not first  # the same height after a reorganization
    assert cache.at((6, b"\x02" * 32)) is not cache.at(None)
    bounded = cache.at(None)
    bounded.platforms.update({"a": None, "b": None, "c": None, "d": None})
    assert cache.at(None) is not bounded and not cache.at(None).platforms


def test_answers_about_now_are_reused_only_between_the_validity_bounds(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer about now is read from the cache while the clock stays between the
    validity bounds of the certificates it rests on (the staff certificate's own and its
    granting enterprise certificate's), and computed afresh when the clock crosses one or a
    new block is indexed."""
    b = int(time.time())  # the seeded chain runs on the wall clock; granting needs both valid
    ent = cert("ent-bounds", not_before=b - 100, not_after=b + 1000)
    staff = cert("staff-bounds", kind=CertificateKind.STAFF, not_before=b - 50)
    world.record("zjca", [ent, staff])
    world.ca_op("zjca").grant_authorization(
        staff.fingerprint, "jiaxing-ggzy", ent.fingerprint, Right.SIGN
    )
    world.index()
    cache = IndexCache()
    platform = "jiaxing-ggzy"
    queries: list[str] = []
    run = recognition._rows

    def rows_spy(db: ReadTransaction, name: str, *args: Any, **kw: Any) -> Sequence[Any]:
        queries.append(name)
        return run(db, name, *args, **kw)

    monkeypatch.setattr(recognition, "_rows", rows_spy)

    def ask(now: int) -> tuple[Reason, bool]:
        queries.clear()
        clock = lambda: datetime.fromtimestamp(now, UTC)  # noqa: E731
        with read_transaction(world.engine) as db:
            a = recognize(db, staff.fingerprint, platform, Right.SIGN, cache=cache, clock=clock)
            fresh = recognize(db, staff.fingerprint, platform, Right.SIGN, clock=clock)
        assert (a.reasons, a.evidence, a.at) == (fresh.reasons, fresh.evidence, now)
        return a.reasons, "certificates" not in queries[: queries.index("state", 1)]

    assert ask(b - 60) == (Reason.NOT_YET_VALID, False)
    assert ask(b - 51) == (Reason.NOT_YET_VALID, True)  # the same window: reused
    assert ask(b - 50) == (Reason(0), False)  # the staff certificate's notBefore
    assert ask(b + 1000) == (Reason(0), True)  # the enterprise certificate's last second
    assert ask(b + 1001) == (Reason.NOT_AUTHORIZED, False)
    assert ask(b - 40) == (Reason(0), False)  # back in time: that window was replaced
    world.ca_op("zjca").revoke_certificate(staff.fingerprint, RevocationReason.KEY_COMPROMISE)
    world.index()
    assert ask(b - 40) == (Reason.REVOKED, False)  # a new checkpoint: nothing reused


def test_answers_about_now_come_without_a_read_at_the_published_checkpoint(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexer publishes each checkpoint it committed; while the cache was read at it,
    ``answer_now`` gives the settled answer without touching the database, and a new block
    (a revocation) turns it off until a read at the new checkpoint."""
    ent = cert("ent-published", not_before=int(time.time()) - 100)  # valid now
    world.record("zjca", [ent])
    cache = IndexCache()
    indexer = Indexer(world.engine, world.backend, world.deployment)
    indexer.subscribe(cache.publish)
    while not indexer.step().caught_up:
        pass
    queries: list[str] = []
    run = recognition._rows

    def rows_spy(db: ReadTransaction, name: str, *args: Any, **kw: Any) -> Sequence[Any]:
        queries.append(name)
        return run(db, name, *args, **kw)

    monkeypatch.setattr(recognition, "_rows", rows_spy)
    platform, right = "jiaxing-ggzy", int(Right.SIGN)
    assert cache.answer_now(ent.fingerprint, platform, right, lag=0) is None  # not yet settled
    with read_transaction(world.engine) as db:
        read = recognize(db, ent.fingerprint, platform, right, cache=cache, lag=0)
    queries.clear()
    settled = cache.answer_now(ent.fingerprint, platform, right, lag=0)
    assert queries == [] and settled is not None and settled.recognized
    assert (settled.reasons, settled.evidence, settled.indexed_block) == (
        read.reasons,
        read.evidence,
        read.indexed_block,
    )
    assert cache.answer_now(ent.fingerprint, "nantong-ggzy", right, lag=0) is None  # not asked

    world.ca_op("zjca").revoke_certificate(ent.fingerprint, RevocationReason.KEY_COMPROMISE)
    while not indexer.step().caught_up:
        pass
    assert cache.answer_now(ent.fingerprint, platform, right, lag=0) is None  # a new block
    with read_transaction(world.engine) as db:
        recognize(db, ent.fingerprint, platform, right, cache=cache, lag=0)
    again = cache.answer_now(ent.fingerprint, platform, right, lag=0)
    assert again is not None and again.reasons == Reason.REVOKED
