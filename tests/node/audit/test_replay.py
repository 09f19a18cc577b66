"""Replay from genesis against the contracts' views and a node's index: a clean chain and
index agree; each kind of corruption of the index is reported precisely, with evidence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from huren.node.audit.compare import Difference, compare
from huren.node.audit.records import expected
from huren.node.audit.replay import ReplayedState, Replayer, replay
from huren.node.audit.source_index import read_index
from huren.node.audit.source_views import read_views
from huren.node.demo import ca_operator_account, demo_account
from huren.node.indexer import Indexer
from huren.node.indexer_projection import (
    T_AUTHORIZATIONS,
    T_BINDINGS,
    T_CA_OPERATORS,
    T_CAS,
    T_CERTIFICATES,
    T_MEMBERS,
)
from huren.registry.event_types import CaSuspended, CertificateRevoked, EventMeta, ProposalExecuted
from huren.registry.types import Deployment, RevocationReason
from tests.node.audit.conftest import AuditedChain
from tests.node.conftest import SeededChain
from tests.node.test_indexer import exercise, index_all


def index_differences(chain: AuditedChain) -> tuple[ReplayedState, list[Difference]]:
    state = replay(chain.backend, chain.deployment)
    return state, compare(expected(state), read_index(chain.engine, "node"))


def corrupt(chain: AuditedChain, statement: Any) -> None:
    with chain.engine.begin() as conn:
        assert conn.execute(statement).rowcount == 1


def test_the_replay_holds_what_the_chain_did(audited: AuditedChain) -> None:
    state = replay(audited.backend, audited.deployment)
    client = audited.client
    assert len(state.certificates) == client.certificate_count() == 6
    old = audited.facts["old"].fingerprint
    revoked = audited.facts["revoked"]
    assert state.revocations[old].meta.transaction_hash == revoked.transaction_hash
    assert state.quorum_percent == 60
    assert set(state.cas) == {"zjca", "jsca", "ahca"}
    assert state.cas["ahca"].status.name == "SUSPENDED"
    zjca_operators = set(state.cas["zjca"].operators)
    assert zjca_operators == set(client.ca("zjca").operators)
    assert state.block_number == audited.backend.block_number()
    assert state.anomalies == []


def test_replay_agrees_with_the_contract_views(audited: AuditedChain) -> None:
    state = replay(audited.backend, audited.deployment)
    seen: list[tuple[int, int]] = []
    views = read_views(
        audited.client, state, progress=lambda done, total: seen.append((done, total))
    )
    assert compare(expected(state), views) == []
    assert views.counts["certificate"] == 6 and seen[-1] == (6, 6)
    # The views were read for every kind the replay has.
    assert {k for k, v in views.records.items() if v} >= {
        "member", "ca", "ca_operator", "platform", "proposal", "vote", "quorum",
        "certificate", "binding", "authorization",
    }  # fmt: skip


def test_the_views_report_what_a_replay_missed(audited: AuditedChain) -> None:
    """A replay that stops before the renewal's block, compared with the views at the head,
    is how a replay that missed events looks: the registry counts one certificate more, and
    the later governance shows as extra or differing."""
    state = replay(audited.backend, audited.deployment)
    renewal_block = max(e.meta.block_number for e in state.certificates.values())
    earlier = replay(audited.backend, audited.deployment, to_block=renewal_block - 1)
    earlier.block_number = state.block_number  # read the views at the head
    diffs = compare(expected(earlier), read_views(audited.client, earlier))
    found = {(d.difference, d.record, d.key) for d in diffs}
    assert ("count", "certificate", "*") in found
    (count,) = [d for d in diffs if d.difference == "count"]
    assert (count.expected, count.actual) == (5, 6)
    last_proposal = str(max(state.proposals))
    assert ("extra", "proposal", last_proposal) in found
    assert ("missing", "ca_operator", f"zjca:{demo_account('colleague').address}") not in found
    assert ("extra", "ca_operator", f"zjca:{demo_account('colleague').address}") in found
    assert all(d.source == "contracts" for d in diffs)


def test_a_clean_index_reports_no_differences(audited: AuditedChain) -> None:
    _, diffs = index_differences(audited)
    assert diffs == []


def test_an_index_behind_the_replay_is_noted(audited: AuditedChain) -> None:
    head = audited.backend.block_number()
    ahead = read_index(audited.engine, "node", replayed_block=head + 5)
    assert any(f"the replay at {head + 5}" in note for note in ahead.notes)
    level = read_index(audited.engine, "node", replayed_block=head)
    assert level.notes == [f"indexed up to block {head}"]


def test_a_deleted_certificate_row_is_missing_with_its_evidence(audited: AuditedChain) -> None:
    staff = audited.facts["staff"].fingerprint
    corrupt(audited, delete(T_CERTIFICATES).where(T_CERTIFICATES.c.fingerprint == staff))
    state, diffs = index_differences(audited)
    assert [(d.difference, d.record, d.key) for d in diffs] == [
        ("missing", "certificate", "0x" + staff.hex())
    ]
    (evidence,) = diffs[0].evidence
    recorded = state.certificates[staff].meta
    assert evidence.event == "CertificateRecorded"
    assert evidence.transaction_hash == "0x" + recorded.transaction_hash.hex()
    assert (evidence.block_number, evidence.log_index) == (
        recorded.block_number,
        recorded.log_index,
    )
    assert evidence.block_hash == "0x" + recorded.block_hash.hex()


def test_a_flipped_revocation_is_reported_field_by_field(audited: AuditedChain) -> None:
    old = audited.facts["old"].fingerprint
    corrupt(
        audited,
        update(T_CERTIFICATES)
        .where(T_CERTIFICATES.c.fingerprint == old)
        .values(status=1, revocation_reason=None, revoked_at=None),
    )
    _, diffs = index_differences(audited)
    fields = {d.field: (d.expected, d.actual) for d in diffs}
    assert {d.key for d in diffs} == {"0x" + old.hex()}
    assert fields["status"] == ("revoked", "active")
    assert fields["revocation_reason"] == ("superseded", None)
    assert fields["revoked_at"][1] is None and fields["revoked_at"][0] > 0
    assert set(fields) == {"status", "revocation_reason", "revoked_at"}
    assert [e.event for e in diffs[0].evidence] == ["CertificateRecorded", "CertificateRevoked"]


def test_an_unrevoked_certificate_marked_revoked_is_reported(audited: AuditedChain) -> None:
    staff = audited.facts["staff"].fingerprint
    corrupt(
        audited,
        update(T_CERTIFICATES).where(T_CERTIFICATES.c.fingerprint == staff).values(status=2),
    )
    _, diffs = index_differences(audited)
    assert [(d.field, d.expected, d.actual) for d in diffs] == [("status", "active", "revoked")]


def test_a_changed_validity_is_reported(audited: AuditedChain) -> None:
    enterprise = audited.facts["enterprise"]
    later = enterprise.not_after + 10 * 365 * 86_400
    corrupt(
        audited,
        update(T_CERTIFICATES)
        .where(T_CERTIFICATES.c.fingerprint == enterprise.fingerprint)
        .values(not_after=later),
    )
    _, diffs = index_differences(audited)
    assert [(d.difference, d.field, d.expected, d.actual) for d in diffs] == [
        ("differs", "not_after", enterprise.not_after, later)
    ]


def test_a_phantom_certificate_row_is_an_extra(audited: AuditedChain) -> None:
    staff = audited.facts["staff"].fingerprint
    with audited.engine.connect() as conn:
        row = dict(
            conn.execute(select(T_CERTIFICATES).where(T_CERTIFICATES.c.fingerprint == staff))
            .one()
            ._mapping
        )
    phantom = bytes(32 - 1) + b"\x42"
    row["fingerprint"] = phantom
    corrupt(audited, insert(T_CERTIFICATES).values(**row))
    _, diffs = index_differences(audited)
    assert [(d.difference, d.record, d.key) for d in diffs] == [
        ("extra", "certificate", "0x" + phantom.hex())
    ]
    # The phantom cites the staff certificate's event, which made no such record.
    assert diffs[0].evidence[0].block_number == row["block_number"]
    assert diffs[0].actual["ca_id"] == "zjca"


def test_an_altered_authorization_is_reported(audited: AuditedChain) -> None:
    staff = audited.facts["staff"].fingerprint
    corrupt(
        audited,
        update(T_AUTHORIZATIONS)
        .where(T_AUTHORIZATIONS.c.staff_fingerprint == staff)
        .values(rights=31),
    )
    _, diffs = index_differences(audited)
    assert [(d.record, d.field, d.expected, d.actual) for d in diffs] == [
        ("authorization", "rights", 7, 31)
    ]
    assert diffs[0].evidence[0].event == "AuthorizationGranted"


def test_a_dropped_ca_operator_is_missing(audited: AuditedChain) -> None:
    operator = ca_operator_account("zjca").address
    corrupt(
        audited,
        delete(T_CA_OPERATORS).where(
            T_CA_OPERATORS.c.ca_id == "zjca", T_CA_OPERATORS.c.account == operator
        ),
    )
    _, diffs = index_differences(audited)
    assert [(d.difference, d.record, d.key) for d in diffs] == [
        ("missing", "ca_operator", f"zjca:{operator}")
    ]
    assert diffs[0].evidence[0].event == "RoleGranted"


def test_a_suspended_ca_shown_accredited_and_a_renamed_member_are_reported(
    audited: AuditedChain,
) -> None:
    corrupt(audited, update(T_CAS).where(T_CAS.c.ca_id == "ahca").values(status=1))
    member = audited.client.members()[0]
    corrupt(audited, update(T_MEMBERS).where(T_MEMBERS.c.account == member).values(name="假"))
    _, diffs = index_differences(audited)
    assert sorted((d.record, d.key, d.field, d.actual) for d in diffs) == [
        ("ca", "ahca", "status", "accredited"),
        ("member", member, "name", "假"),
    ]


def test_forged_evidence_and_a_flipped_binding_are_reported(audited: AuditedChain) -> None:
    staff = audited.facts["staff"].fingerprint
    corrupt(
        audited,
        update(T_BINDINGS).where(T_BINDINGS.c.fingerprint == staff).values(bound=False),
    )
    corrupt(
        audited,
        update(T_CERTIFICATES)
        .where(T_CERTIFICATES.c.fingerprint == staff)
        .values(transaction_hash=b"\x99" * 32),
    )
    _, diffs = index_differences(audited)
    assert sorted((d.record, d.field, d.actual) for d in diffs) == [
        ("binding", "bound", False),
        ("certificate", "event.transaction_hash", "0x" + "99" * 32),
    ]


def test_a_view_sample_compares_only_the_sampled_certificates(audited: AuditedChain) -> None:
    state = replay(audited.backend, audited.deployment)
    views = read_views(audited.client, state, certificate_sample=2, seed=7)
    sampled = views.sampled["certificate"]
    assert len(sampled) == 2 and set(views.records["certificate"]) == sampled
    assert any("seed 7" in note for note in views.notes)
    assert compare(expected(state), views) == []  # the 4 others are not "missing"
    again = read_views(audited.client, state, certificate_sample=2, seed=7)
    assert again.sampled == views.sampled
    # A sampled certificate that the view lacks is still reported.
    earlier = replay(audited.backend, audited.deployment)
    phantom = next(iter(earlier.certificates.values()))
    fake = bytes(31) + b"\x07"
    earlier.certificates[fake] = phantom
    views = read_views(audited.client, earlier, certificate_sample=7, seed=1)
    diffs = compare(expected(earlier), views)
    assert ("missing", "0x" + fake.hex()) in {(d.difference, d.key) for d in diffs}
    assert [(d.expected, d.actual) for d in diffs if d.difference == "count"] == [(7, 6)]


def test_an_index_on_either_database_agrees_and_a_change_shows(
    seeded: SeededChain, engine: Engine
) -> None:
    """The index reader on SQLite and PostgreSQL (bytea, bigints, booleans read back alike)."""
    facts = exercise(seeded.backend, seeded.deployment)
    index_all(Indexer(engine, seeded.backend, seeded.deployment))
    state = replay(seeded.backend, seeded.deployment)
    assert compare(expected(state), read_index(engine, "node")) == []
    enterprise = facts["enterprise"].fingerprint
    with engine.begin() as conn:
        conn.execute(
            update(T_CERTIFICATES)
            .where(T_CERTIFICATES.c.fingerprint == enterprise)
            .values(holder=b"\x01" * 32)
        )
    diffs = compare(expected(state), read_index(engine, "node"))
    assert [(d.key, d.field, d.actual) for d in diffs] == [
        ("0x" + enterprise.hex(), "holder", "0x" + "01" * 32)
    ]


def test_events_that_break_the_contracts_rules_are_anomalies() -> None:
    """A correct chain cannot emit these; a replay of a forged or broken log source must
    say so rather than fold them silently."""
    deployment = Deployment("0x" + "11" * 20, "0x" + "22" * 20, 1, 1)
    meta = EventMeta(5, b"\x05" * 32, b"\x06" * 32, 0, deployment.registry)
    replayer = Replayer(deployment)
    fp = b"\x09" * 32
    replayer.apply_all(
        [
            CertificateRevoked(
                meta, fp, "zjca", RevocationReason.KEY_COMPROMISE, 1, "0x" + "33" * 20
            ),
            CaSuspended(meta, "nobody"),
            ProposalExecuted(meta, 42),
        ]
    )
    assert [what for what, _ in replayer.state.anomalies] == [
        "CertificateRevoked of no certificate",
        "CaSuspended of no CA",
        "ProposalExecuted of unknown proposal 42",
    ]
    assert replayer.state.events == 3 and replayer.state.revocations == {}
