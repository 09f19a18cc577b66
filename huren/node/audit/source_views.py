"""The contracts' views as a ``Snapshot``, read at the replay's block.

The views list members, CAs (with operators and keys), platforms and proposals in full; they
cannot list certificates, votes, bindings or authorizations, so those are read for the keys
the replay knows, and the registry's ``certificateCount`` stands for the ones it does not.
Certificate views dominate: they are read by a small thread pool (``ChainBackend``
implementations are thread-safe; a JSON-RPC chain answers them concurrently), in chunks so
that progress can be shown.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from huren.node.audit.records import Snapshot, binding_key, certificate_fields, hex0x, vote_key
from huren.node.audit.replay import ReplayedState
from huren.registry.client import RegistryClient, ca_operator_role
from huren.registry.errors import UnknownCertificate
from huren.registry.types import CertificateRecord, ProposalStatus, Vote

__all__ = ["VIEW_WORKERS", "read_views"]

VIEW_WORKERS = 8
VIEW_CHUNK = 2_000
Progress = Callable[[int, int], None]


def read_views(
    client: RegistryClient,
    state: ReplayedState,
    *,
    certificate_sample: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """The contracts' state at ``state.block_number`` for every record the views can show;
    with ``certificate_sample``, for that many certificates drawn at random (``seed``; the
    view of each costs an EVM call, minutes for 100,000 on the embedded chain)."""
    block = state.block_number
    snap = Snapshot("contracts", complete={"member", "ca", "ca_operator", "platform", "proposal"})
    accounts = dict.fromkeys([*state.members, *client.members(block=block)])
    for account in accounts:
        m = client.member(account, block=block)
        if m.index == 0:
            continue  # never admitted
        fields = {"name": m.name, "region_code": m.region_code, "index": m.index}
        snap.put("member", account, {**fields, "active": m.active})
    snap.kind("ca_operator")
    for ca_id in client.ca_ids(block=block):
        ca = client.ca(ca_id, block=block)
        snap.put(
            "ca",
            ca_id,
            {
                "name": ca.name,
                "status": ca.status.name.lower(),
                "index": ca.index,
                "issuer_key_ids": [hex0x(k) for k in ca.issuer_key_ids],
            },
        )
        for account in ca.operators:
            snap.put("ca_operator", f"{ca_id}:{account}", {"ca_id": ca_id})
        if client.ca_operator_role(ca_id, block=block) != ca_operator_role(ca_id):
            snap.notes.append(f"CA {ca_id}: the contract's operator role is not the computed one")
    for platform_id in client.platform_ids(block=block):
        p = client.platform(platform_id, block=block)
        snap.put("platform", platform_id, {"center": p.center, "name": p.name, "active": p.active})
    for proposal_id in range(1, client.proposal_count(block=block) + 1):
        pr = client.proposal(proposal_id, block=block)
        # EXPIRED is the view's reading of an OPEN proposal past its expiry, not a state.
        status = ProposalStatus.OPEN if pr.status == ProposalStatus.EXPIRED else pr.status
        snap.put(
            "proposal",
            str(proposal_id),
            {
                "kind": pr.kind.name.lower(),
                "proposer": pr.proposer,
                "expires_at": pr.expires_at,
                "payload": hex0x(pr.payload),
                "status": status.name.lower(),
                "yes": pr.yes,
                "no": pr.no,
            },
        )
    votes = snap.kind("vote")
    for proposal_id, voter in state.votes:
        vote = client.vote_of(proposal_id, voter, block=block)
        if vote != Vote.NONE:
            votes[vote_key(proposal_id, voter)] = {"support": vote == Vote.YES}
    snap.put("quorum", "quorum", {"percent": client.quorum_percent(block=block)})
    _certificates(client, state, snap, progress, certificate_sample, seed)
    bindings = snap.kind("binding")
    for fp, platform_id in state.bindings:
        evidence = client.binding(fp, platform_id, block=block)
        # The view holds only a current binding's evidence; an unbound one reads as none.
        seen: dict[str, object] = {"bound": evidence is not None}
        if evidence is not None:
            seen["evidence_hash"] = hex0x(evidence)
        bindings[binding_key(fp, platform_id)] = seen
    authorizations = snap.kind("authorization")
    for staff, platform_id in state.authorizations:
        auth = client.authorization(staff, platform_id, block=block)
        key = binding_key(staff, platform_id)
        if auth is None:
            authorizations[key] = {"rights": 0}
        else:
            authorizations[key] = {
                "rights": int(auth.rights),
                "enterprise_fingerprint": hex0x(auth.enterprise_fingerprint),
            }
    return snap


def _certificates(
    client: RegistryClient,
    state: ReplayedState,
    snap: Snapshot,
    progress: Progress | None,
    sample: int | None,
    seed: int | None,
) -> None:
    block = state.block_number
    snap.counts["certificate"] = client.certificate_count(block=block)
    records = snap.kind("certificate")
    fingerprints = list(state.certificates)
    if sample is not None and sample < len(fingerprints):
        seed = random.SystemRandom().randrange(2**32) if seed is None else seed
        fingerprints = random.Random(seed).sample(fingerprints, sample)
        snap.sampled["certificate"] = {"0x" + fp.hex() for fp in fingerprints}
        snap.notes.append(
            f"certificates: a random sample of {sample} of {len(state.certificates)} "
            f"(seed {seed}) read by view; the count of all checked"
        )

    def one(fp: bytes) -> CertificateRecord | None:
        try:
            return client.certificate(fp, block=block)
        except UnknownCertificate:
            return None

    with ThreadPoolExecutor(VIEW_WORKERS, thread_name_prefix="audit-views") as pool:
        for lo in range(0, len(fingerprints), VIEW_CHUNK):
            chunk: Sequence[bytes] = fingerprints[lo : lo + VIEW_CHUNK]
            for fp, c in zip(chunk, pool.map(one, chunk), strict=True):
                if c is None:
                    continue
                fields = certificate_fields(
                    ca_id=c.ca_id,
                    issuer_key_id=b"",
                    holder=b"",
                    predecessor=c.predecessor,
                    kind=c.kind,
                    usage=c.usage,
                    scope=c.scope,
                    center=c.center,
                    not_before=c.not_before,
                    not_after=c.not_after,
                    status=c.status,
                    revocation_reason=c.revocation_reason,
                    revoked_at=c.revoked_at,
                    revoked_by=None,
                )
                # Not stored on chain (only in the event): the view cannot vouch for them.
                for absent in ("issuer_key_id", "holder", "revoked_by"):
                    del fields[absent]
                records["0x" + fp.hex()] = fields
            if progress is not None:
                progress(min(lo + VIEW_CHUNK, len(fingerprints)), len(fingerprints))
