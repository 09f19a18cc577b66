"""The indexer: incremental indexing equal to the contract views, restart, atomic steps,
confirmations, the run loop, reorganizations on anvil, and its speed."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlmodel import Session, SQLModel
from sqlmodel import select as sm_select

from huren.node import demo
from huren.node.db import models as m
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import (
    ChainReplaced,
    DeploymentMismatch,
    Indexer,
    IndexProgress,
)
from huren.node.indexer_projection import Projector, table
from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient, TxResult
from huren.registry.embedded import EmbeddedBackend
from huren.registry.event_types import CertificateRecorded, CertificateRevoked
from huren.registry.events import EventStream
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import (
    CaStatus,
    CertificateInput,
    CertificateKind,
    CertificateStatus,
    Deployment,
    KeyUsage,
    ProposalStatus,
    RevocationReason,
    Right,
    Scope,
    Vote,
)
from tests.node.conftest import SeededChain
from tests.support.anvil import AnvilProcess

M = TypeVar("M", bound=SQLModel)
ZJCA = "zjca"
PLATFORM = "jiaxing-ggzy"


# -- helpers ----------------------------------------------------------------------------------


def cert(**overrides: Any) -> CertificateInput:
    """A valid alliance personal signing certificate with a fresh fingerprint."""
    now = int(time.time())
    values: dict[str, Any] = {
        "fingerprint": os.urandom(32),
        "holder": os.urandom(32),
        "not_before": now - 86_400,
        "not_after": now + 365 * 86_400,
        "kind": CertificateKind.PERSONAL,
        "usage": KeyUsage.SIGNING,
        "scope": Scope.ALLIANCE,
    }
    values.update(overrides)
    return CertificateInput(**values)


def ca_client(backend: ChainBackend, deployment: Deployment, ca_id: str = ZJCA) -> RegistryClient:
    return RegistryClient(backend, deployment, demo.ca_operator_account(ca_id))


def center_client(backend: ChainBackend, deployment: Deployment, center: str) -> RegistryClient:
    return RegistryClient(backend, deployment, demo.center_account(center))


def record(client: RegistryClient, *certs: CertificateInput, ca_id: str = ZJCA) -> TxResult:
    return client.record_certificates(ca_id, demo.issuer_key_id(ca_id), list(certs))


def index_all(indexer: Indexer, max_blocks: int | None = None) -> IndexProgress:
    while True:
        progress = indexer.step(max_blocks)
        if progress.caught_up:
            return progress


def rows(engine: Engine, model: type[M]) -> list[M]:
    with Session(engine) as session:
        return list(session.exec(sm_select(model)).all())


def count(engine: Engine, model: type[SQLModel]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table(model))).scalar_one())


def evidence(row: m.Evidence) -> tuple[int, bytes, bytes, int]:
    return (row.block_number, row.block_hash, row.transaction_hash, row.log_index)


def meta_of(event: CertificateRecorded | CertificateRevoked) -> tuple[int, bytes, bytes, int]:
    meta = event.meta
    return (meta.block_number, meta.block_hash, meta.transaction_hash, meta.log_index)


def assert_index_matches_chain(engine: Engine, client: RegistryClient) -> None:
    """Every projected row equals what the contract views say, and nothing is missing."""
    members = rows(engine, m.Member)
    assert {r.account for r in members if r.active} == set(client.members())
    for r in members:
        view = client.member(r.account)
        assert (r.name, r.region_code, r.member_index, r.active) == (
            view.name,
            view.region_code,
            view.index,
            view.active,
        )

    cas = rows(engine, m.Ca)
    assert sorted(r.ca_id for r in cas) == sorted(client.ca_ids())
    keys = rows(engine, m.CaIssuerKey)
    operators = rows(engine, m.CaOperator)
    for r in cas:
        ca = client.ca(r.ca_id)
        assert (r.name, CaStatus(r.status), r.ca_index) == (ca.name, ca.status, ca.index)
        mine = sorted((k for k in keys if k.ca_id == r.ca_id), key=lambda k: k.position)
        assert tuple(k.issuer_key_id for k in mine) == ca.issuer_key_ids
        assert {o.account for o in operators if o.ca_id == r.ca_id} == set(ca.operators)
        assert r.operator_role == client.ca_operator_role(r.ca_id)

    platforms = rows(engine, m.Platform)
    assert sorted(r.platform_id for r in platforms) == sorted(client.platform_ids())
    for r in platforms:
        p = client.platform(r.platform_id)
        assert (r.center, r.name, r.active) == (p.center, p.name, p.active)

    proposals = rows(engine, m.Proposal)
    assert sorted(r.proposal_id for r in proposals) == list(range(1, client.proposal_count() + 1))
    votes = rows(engine, m.Vote)
    for r in proposals:
        p = client.proposal(r.proposal_id)
        status = ProposalStatus(r.status)
        view_status = ProposalStatus.OPEN if p.status == ProposalStatus.EXPIRED else p.status
        assert (r.kind, r.proposer, r.expires_at, r.payload, status, r.yes, r.no) == (
            p.kind,
            p.proposer,
            p.expires_at,
            p.payload,
            view_status,
            p.yes,
            p.no,
        )
    for v in votes:
        assert client.vote_of(v.proposal_id, v.voter) == (Vote.YES if v.support else Vote.NO)

    quorum = rows(engine, m.Quorum)
    percent = quorum[0].percent if quorum else m.QUORUM_DEFAULT_PERCENT
    assert percent == client.quorum_percent()

    certificates = rows(engine, m.Certificate)
    assert len(certificates) == client.certificate_count()
    for r in certificates:
        c = client.certificate(r.fingerprint)
        assert (
            r.ca_id,
            r.predecessor,
            r.not_before,
            r.not_after,
            r.kind,
            r.usage,
            r.scope,
            r.center,
            r.status,
            r.revocation_reason,
            r.revoked_at,
        ) == (
            c.ca_id,
            c.predecessor,
            c.not_before,
            c.not_after,
            c.kind,
            c.usage,
            c.scope,
            c.center,
            c.status,
            c.revocation_reason,
            c.revoked_at,
        )
        assert (r.revoked_block_number is None) == (c.status == CertificateStatus.ACTIVE)

    for b in rows(engine, m.Binding):
        assert client.binding(b.fingerprint, b.platform_id) == (
            b.evidence_hash if b.bound else None
        )
    for a in rows(engine, m.Authorization):
        view = client.authorization(a.staff_fingerprint, a.platform_id)
        if a.rights == 0:
            assert view is None
        else:
            assert view is not None
            assert (view.enterprise_fingerprint, int(view.rights)) == (
                a.enterprise_fingerprint,
                a.rights,
            )


def assert_raw_events_match_chain(engine: Engine, backend: ChainBackend, dep: Deployment) -> None:
    checkpoint = Indexer(engine, backend, dep).checkpoint()
    assert checkpoint is not None
    expected = [
        (e.meta.block_number, e.meta.log_index, e.meta.block_hash, type(e).__name__)
        for e in EventStream(backend, dep).events(dep.block_number, checkpoint[0])
    ]
    stored = [
        (r.block_number, r.log_index, r.block_hash, r.event)
        for r in sorted(rows(engine, m.ChainEvent), key=lambda r: (r.block_number, r.log_index))
    ]
    assert stored == expected
    assert checkpoint[1] == backend.block(checkpoint[0]).hash


# -- indexing on the embedded chain -----------------------------------------------------------


def exercise(backend: ChainBackend, dep: Deployment) -> dict[str, Any]:
    """Issue, renew, revoke, bind, unbind, authorize, change operators and govern."""
    ca = ca_client(backend, dep)
    jiaxing = center_client(backend, dep, "jiaxing")
    nantong = center_client(backend, dep, "nantong")
    xuancheng = center_client(backend, dep, "xuancheng")
    enterprise = cert(kind=CertificateKind.ENTERPRISE)
    staff = cert(kind=CertificateKind.STAFF)
    staff2 = cert(kind=CertificateKind.STAFF)
    regional = cert(scope=Scope.REGIONAL, center=jiaxing.address, usage=KeyUsage.ENCRYPTION)
    old = cert()
    recorded = record(ca, enterprise, staff, staff2, regional, old)
    renewed = cert(predecessor=old.fingerprint)
    record(ca, renewed)
    revoked = ca.revoke_certificate(old.fingerprint, RevocationReason.SUPERSEDED)
    jiaxing.bind_certificate(staff.fingerprint, PLATFORM, b"\x01" * 32)
    jiaxing.bind_certificate(staff2.fingerprint, PLATFORM, b"\x02" * 32)
    jiaxing.unbind_certificate(staff2.fingerprint, PLATFORM, b"\x03" * 32)
    ca.grant_authorization(staff.fingerprint, PLATFORM, enterprise.fingerprint, Right.LOGIN)
    ca.grant_authorization(staff.fingerprint, PLATFORM, enterprise.fingerprint, 7)  # replaces
    ca.grant_authorization(staff2.fingerprint, "alliance", enterprise.fingerprint, Right.SIGN)
    ca.revoke_authorization(staff2.fingerprint, "alliance")
    colleague, leaver = demo.demo_account("colleague"), demo.demo_account("leaver")
    ca.grant_ca_operator(ZJCA, colleague.address)
    ca.grant_ca_operator(ZJCA, leaver.address)
    ca.revoke_ca_operator(ZJCA, leaver.address)
    nantong.vote(jiaxing.propose_set_quorum(60).proposal_id, True)
    nantong.vote(jiaxing.propose_suspend_ca("ahca").proposal_id, True)
    new_key = os.urandom(32)
    replacement = demo.demo_account("jsca replacement operator").address  # evicts the old one
    accredit = xuancheng.propose_accredit_ca("jsca", "江苏 CA (renamed)", [replacement], [new_key])
    jiaxing.vote(accredit.proposal_id, True)
    rejected = jiaxing.propose_retire_platform("nantong-ggzy").proposal_id
    nantong.vote(rejected, False)
    xuancheng.vote(rejected, False)
    jiaxing.propose_add_member(demo.demo_account("new center").address, "新中心", 310100)  # open
    return {
        "recorded": recorded,
        "revoked": revoked,
        "old": old,
        "staff": staff,
        "enterprise": enterprise,
    }


def test_incremental_indexing_equals_the_contract_views(
    seeded: SeededChain, engine: Engine
) -> None:
    backend, dep = seeded.backend, seeded.deployment
    indexer = Indexer(engine, backend, dep)
    assert indexer.checkpoint() is None
    assert indexer.lag() == backend.block_number() - (dep.block_number - 1)
    progress = indexer.step()
    assert (progress.from_block, progress.to_block) == (dep.block_number, backend.block_number())
    assert progress.caught_up and progress.lag == 0 and indexer.lag() == 0
    client = RegistryClient(backend, dep)
    assert_index_matches_chain(engine, client)
    assert count(engine, m.Member) == len(demo.CENTERS)
    assert count(engine, m.Platform) == len(demo.PLATFORMS)

    done = exercise(backend, dep)
    assert indexer.lag() > 0
    steps = 0
    while not indexer.step(max_blocks=4).caught_up:  # a few blocks at a time
        steps += 1
    assert steps > 1
    assert_index_matches_chain(engine, client)
    assert_raw_events_match_chain(engine, backend, dep)

    with Session(engine) as session:
        old = session.get(m.Certificate, done["old"].fingerprint)
        assert old is not None
        recorded_events = done["recorded"].events_of(CertificateRecorded)
        recorded = next(e for e in recorded_events if e.fingerprint == old.fingerprint)
        assert evidence(old) == meta_of(recorded)
        (revocation,) = done["revoked"].events_of(CertificateRevoked)
        assert (
            old.revoked_block_number,
            old.revoked_block_hash,
            old.revoked_transaction_hash,
            old.revoked_log_index,
        ) == meta_of(revocation)
        assert old.revoked_by == demo.ca_operator_account(ZJCA).address
        assert old.issuer_key_id == demo.issuer_key_id(ZJCA)
        auth = session.get(m.Authorization, (done["staff"].fingerprint, PLATFORM))
        assert auth is not None and auth.rights == 7
        ca = session.get(m.Ca, "ahca")
        assert ca is not None and ca.status == CaStatus.SUSPENDED


def test_a_restart_resumes_from_the_checkpoint_without_duplicates(
    seeded: SeededChain, db_url: str
) -> None:
    backend, dep = seeded.backend, seeded.deployment
    migrate(db_url)
    first = make_engine(db_url)
    Indexer(first, backend, dep).step(max_blocks=5)
    exercise(backend, dep)
    checkpoint = Indexer(first, backend, dep).checkpoint()
    first.dispose()

    migrate(db_url)  # the node migrates on every start
    second = make_engine(db_url)
    try:
        indexer = Indexer(second, backend, dep)
        assert indexer.checkpoint() == checkpoint
        progress = indexer.step(max_blocks=10_000)
        assert checkpoint is not None and progress.from_block == checkpoint[0] + 1
        assert_index_matches_chain(second, RegistryClient(backend, dep))
        assert_raw_events_match_chain(second, backend, dep)
        assert indexer.step().to_block is None  # nothing left, nothing applied twice
    finally:
        second.dispose()


@pytest.mark.parametrize("crash_at", ["checkpoint", "projection"])
def test_a_step_that_fails_midway_writes_nothing(
    seeded: SeededChain, engine: Engine, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    backend, dep = seeded.backend, seeded.deployment
    indexer = Indexer(engine, backend, dep)
    index_all(indexer)
    before = {model: count(engine, model) for model in (m.ChainEvent, m.IndexedBlock, m.Member)}
    checkpoint = indexer.checkpoint()
    ca = ca_client(backend, dep)
    certs = [cert() for _ in range(20)]
    record(ca, *certs)
    ca.revoke_certificate(certs[0].fingerprint, RevocationReason.KEY_COMPROMISE)
    seen: list[int] = []

    class Crash(Exception):
        pass

    if crash_at == "checkpoint":
        original = Indexer._advance_checkpoint

        def crash(self: Indexer, conn: Connection, *args: Any) -> None:
            # Everything of the step is written by now, in the open transaction...
            seen.append(
                int(
                    conn.execute(
                        select(func.count()).select_from(table(m.Certificate))
                    ).scalar_one()
                )
            )
            original(self, conn, *args)
            raise Crash

        monkeypatch.setattr(Indexer, "_advance_checkpoint", crash)
    else:

        def crash_on_revocation(self: Projector, event: Any) -> str:
            self.flush()  # the recorded certificates reach the database first
            seen.append(len(certs))
            raise Crash

        monkeypatch.setattr(Projector, "_certificate_revoked", crash_on_revocation)

    with pytest.raises(Crash):
        indexer.step()
    assert seen == [len(certs)]
    # ...and none of it is there after the failure.
    assert indexer.checkpoint() == checkpoint
    assert count(engine, m.Certificate) == 0
    assert {model: count(engine, model) for model in before} == before

    monkeypatch.undo()
    index_all(indexer)
    assert count(engine, m.Certificate) == len(certs)
    assert_index_matches_chain(engine, RegistryClient(backend, dep))


def test_confirmations_hold_back_the_newest_blocks(seeded: SeededChain, engine: Engine) -> None:
    backend, dep = seeded.backend, seeded.deployment
    ca = ca_client(backend, dep)
    first, second, third = cert(), cert(), cert()
    for c in (first, second, third):
        record(ca, c)  # a block each
    indexer = Indexer(engine, backend, dep, confirmations=2)
    progress = index_all(indexer)
    head = backend.block_number()
    assert progress.checkpoint == progress.target == head - 2
    assert indexer.lag() == 2
    with Session(engine) as session:
        assert session.get(m.Certificate, first.fingerprint) is not None
        assert session.get(m.Certificate, second.fingerprint) is None
        assert session.get(m.Certificate, third.fingerprint) is None
    assert indexer.step().to_block is None
    record(ca, cert())
    record(ca, cert())
    index_all(indexer)
    with Session(engine) as session:
        assert session.get(m.Certificate, third.fingerprint) is not None
    assert count(engine, m.Certificate) == 3


def test_the_database_refuses_another_deployment(seeded: SeededChain, engine: Engine) -> None:
    backend, dep = seeded.backend, seeded.deployment
    Indexer(engine, backend, dep).step()
    other = replace(dep, registry=dep.consortium)
    with pytest.raises(DeploymentMismatch):
        Indexer(engine, backend, other).step()


def test_the_run_loop_follows_the_chain_until_stopped(seeded: SeededChain, engine: Engine) -> None:
    backend, dep = seeded.backend, seeded.deployment
    indexer = Indexer(engine, backend, dep)
    stop = threading.Event()
    thread = threading.Thread(target=indexer.run, args=(stop, 0.02), daemon=True)
    thread.start()
    try:
        fresh = cert()
        record(ca_client(backend, dep), fresh)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if session.get(m.Certificate, fresh.fingerprint) is not None:
                    break
            time.sleep(0.02)
        else:
            pytest.fail("the run loop did not index the new certificate")
        assert indexer.last_error is None
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


# -- reorganizations on anvil -----------------------------------------------------------------


@pytest.fixture
def anvil_chain(anvil: AnvilProcess) -> Iterator[tuple[JsonRpcBackend, Deployment]]:
    backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
    deployment = demo.seed(backend)
    yield backend, deployment
    backend.close()


def fresh_writer(anvil: AnvilProcess) -> JsonRpcBackend:
    """A backend without cached nonces (they run ahead of a reverted chain)."""
    return JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)


@pytest.mark.anvil
@pytest.mark.parametrize("reorg_window", [64, 2], ids=["within-window", "deeper-than-window"])
def test_a_reorganization_is_undone_and_the_new_branch_indexed(
    anvil: AnvilProcess,
    anvil_chain: tuple[JsonRpcBackend, Deployment],
    engine: Engine,
    reorg_window: int,
) -> None:
    backend, dep = anvil_chain
    indexer = Indexer(engine, backend, dep, reorg_window=reorg_window)
    ca = ca_client(backend, dep)
    kept, staff, enterprise = cert(), cert(kind=2), cert(kind=1)
    record(ca, kept, staff, enterprise)
    index_all(indexer)
    fork_point = backend.block_number()
    snapshot = anvil.rpc("evm_snapshot")

    # Branch A: undone later.
    gone = [cert(), cert()]
    record(ca, *gone)
    ca.revoke_certificate(kept.fingerprint, RevocationReason.KEY_COMPROMISE)
    ca.grant_authorization(staff.fingerprint, PLATFORM, enterprise.fingerprint, Right.SIGN)
    ca.grant_ca_operator(ZJCA, demo.demo_account("branch a colleague").address)
    jiaxing, nantong = (center_client(backend, dep, c) for c in ("jiaxing", "nantong"))
    jiaxing.bind_certificate(staff.fingerprint, PLATFORM, b"\x07" * 32)
    nantong.vote(jiaxing.propose_set_quorum(75).proposal_id, True)
    index_all(indexer)
    with Session(engine) as session:
        revoked = session.get(m.Certificate, kept.fingerprint)
        assert revoked is not None and revoked.status == CertificateStatus.REVOKED
    a_head = backend.block_number()
    deep = a_head - fork_point > reorg_window
    assert deep == (reorg_window == 2)

    assert anvil.rpc("evm_revert", snapshot) is True
    # The chain is now shorter than the checkpoint: the indexer undoes branch A.
    progress = indexer.step()
    # Within the window it finds the fork point; deeper, it re-indexes from the deployment.
    ancestor = dep.block_number - 1 if deep else fork_point
    assert progress.undone == a_head - ancestor
    assert progress.checkpoint == fork_point == backend.block_number()

    # Branch B: different records, and longer than A.
    writer = fresh_writer(anvil)
    ca_b = ca_client(writer, dep)
    new = [cert() for _ in range(3)]
    record(ca_b, *new)
    ca_b.revoke_certificate(enterprise.fingerprint, RevocationReason.AFFILIATION_CHANGED)
    for _ in range(a_head - backend.block_number() + 3):
        anvil.rpc("evm_mine")
    index_all(indexer)

    with Session(engine) as session:
        for c in gone:
            assert session.get(m.Certificate, c.fingerprint) is None
        for c in new:
            assert session.get(m.Certificate, c.fingerprint) is not None
        restored = session.get(m.Certificate, kept.fingerprint)
        assert restored is not None and restored.status == CertificateStatus.ACTIVE
        assert restored.revoked_block_number is None and restored.revoked_at is None
        assert session.get(m.Authorization, (staff.fingerprint, PLATFORM)) is None
        assert session.get(m.Binding, (staff.fingerprint, PLATFORM)) is None
        ent = session.get(m.Certificate, enterprise.fingerprint)
        assert ent is not None and ent.revocation_reason == RevocationReason.AFFILIATION_CHANGED
    assert count(engine, m.Quorum) == 0
    assert_index_matches_chain(engine, RegistryClient(backend, dep))
    assert_raw_events_match_chain(engine, backend, dep)
    checkpoint = indexer.checkpoint()
    assert checkpoint == (backend.block_number(), backend.block(backend.block_number()).hash)
    writer.close()


@pytest.mark.anvil
def test_a_replaced_chain_below_the_deployment_is_refused(
    anvil: AnvilProcess, engine: Engine
) -> None:
    genesis = anvil.rpc("evm_snapshot")
    backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
    for _ in range(2):
        anvil.rpc("evm_mine")
    dep = demo.seed(backend)
    indexer = Indexer(engine, backend, dep)
    index_all(indexer)
    anvil.rpc("evm_revert", genesis)
    anvil.rpc("anvil_setNextBlockTimestamp", int(time.time()) + 1000)
    for _ in range(dep.block_number + 3):
        anvil.rpc("evm_mine")
    with pytest.raises(ChainReplaced):
        indexer.step()
    backend.close()


# -- speed ------------------------------------------------------------------------------------

N_RATE = 5_000


@pytest.fixture(scope="session")
def _issued_template(
    _seeded_template: tuple[Path, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The seeded chain plus N_RATE certificates in batches of 1000 (built once)."""
    template, dep = _seeded_template
    path = tmp_path_factory.mktemp("issued") / "chain"
    shutil.copytree(template, path, ignore=shutil.ignore_patterns("LOCK"))
    backend = EmbeddedBackend(path, snapshot_every=0)
    try:
        ca = ca_client(backend, dep)
        for _ in range(N_RATE // 1000):
            record(ca, *(cert() for _ in range(1000)))
    finally:
        backend.close()
    return path


def test_indexing_rate_of_certificate_records(
    _issued_template: Path,
    _seeded_template: tuple[Path, Deployment],
    engine: Engine,
    db_url: str,
    tmp_path: Path,
) -> None:
    path = tmp_path / "issued"
    shutil.copytree(_issued_template, path, ignore=shutil.ignore_patterns("LOCK"))
    backend = EmbeddedBackend(path, snapshot_every=0)
    try:
        dep = _seeded_template[1]
        indexer = Indexer(engine, backend, dep)
        head = backend.block_number()
        indexer.step(max_blocks=head - dep.block_number - N_RATE // 1000 + 1)  # the seed
        # Warm the embedded chain's log cache (a reopened chain decodes its logs on first
        # read): the time below is the indexer's own.
        backend.get_logs(head - N_RATE // 1000 + 1, head, [dep.consortium, dep.registry])
        started = time.perf_counter()
        progress = indexer.step()
        elapsed = time.perf_counter() - started
        assert progress.events == N_RATE and progress.caught_up
        assert count(engine, m.Certificate) == N_RATE
        rate = N_RATE / elapsed
        database = db_url.split(":")[0]
        print(f"\n{database}: {N_RATE} CertificateRecorded in {elapsed:.3f}s, {rate:,.0f}/s")
        assert rate > 1_000  # measured about 15k/s on SQLite, 10k/s on PostgreSQL
    finally:
        backend.close()
