"""The consortium: reads from the index (any authenticated caller), governance writes through
the node's own operator account (node-admin key only).

Writes return once the transaction is mined; the index shows their effect after the indexer's
next step, so a client reads ``status`` from the write's answer, not from an immediate read.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from sqlmodel import col, select

from huren.api.consortium_schemas import (
    CaOut,
    MemberOut,
    PlatformOut,
    ProposalIn,
    ProposalOut,
    ProposalResultOut,
    QuorumOut,
    VoteIn,
    VoteOut,
    evidence_of,
)
from huren.api.deps import AdminDep, CallerDep, NodeDep, SessionDep
from huren.api.problems import CHAIN_WRITE_RESPONSES, PROBLEM_RESPONSES, ApiProblem
from huren.api.schemas import hex0x
from huren.node.db import models as m
from huren.registry.abi import decode_proposal_action
from huren.registry.client import ProposalResult
from huren.registry.ids import decode_id, encode_id
from huren.registry.types import CaStatus, ProposalKind, ProposalStatus

router = APIRouter(prefix="/v1/consortium", tags=["consortium"], responses=PROBLEM_RESPONSES)

StatusFilter = Literal["open", "executed", "rejected", "expired"]
MAX_PAGE = 500


@router.get("/members")
def members(_: CallerDep, session: SessionDep) -> list[MemberOut]:
    """Every center ever admitted (``active`` false once removed), in admission order."""
    rows = session.exec(select(m.Member).order_by(col(m.Member.member_index)))
    return [
        MemberOut(
            account=r.account,
            name=r.name,
            region_code=r.region_code,
            index=r.member_index,
            active=r.active,
            last_event=evidence_of(r),
        )
        for r in rows
    ]


@router.get("/cas")
def cas(_: CallerDep, session: SessionDep) -> list[CaOut]:
    """Every CA ever accredited, with its current operators and issuer key ids."""
    return _cas(session, None)


@router.get("/cas/{ca_id}", responses={404: {"description": "UNKNOWN_CA"}})
def ca(_: CallerDep, session: SessionDep, ca_id: Annotated[str, Path(max_length=66)]) -> CaOut:
    found = _cas(session, decode_id(encode_id(ca_id)))
    if not found:
        raise ApiProblem(404, "UNKNOWN_CA", f"no CA {ca_id!r}")
    return found[0]


def _cas(session: SessionDep, ca_id: str | None) -> list[CaOut]:
    query = select(m.Ca).order_by(col(m.Ca.ca_index))
    ops_q = select(m.CaOperator).order_by(col(m.CaOperator.account))
    keys_q = select(m.CaIssuerKey).order_by(col(m.CaIssuerKey.position))
    if ca_id is not None:
        query = query.where(col(m.Ca.ca_id) == ca_id)
        ops_q = ops_q.where(col(m.CaOperator.ca_id) == ca_id)
        keys_q = keys_q.where(col(m.CaIssuerKey.ca_id) == ca_id)
    operators: defaultdict[str, list[str]] = defaultdict(list)
    for op in session.exec(ops_q):
        operators[op.ca_id].append(op.account)
    keys: defaultdict[str, list[str]] = defaultdict(list)
    for key in session.exec(keys_q):
        keys[key.ca_id].append(hex0x(key.issuer_key_id))
    return [
        CaOut(
            id=r.ca_id,
            name=r.name,
            status=CaStatus(r.status).name.lower(),
            index=r.ca_index,
            operators=operators[r.ca_id],
            issuer_key_ids=keys[r.ca_id],
            last_event=evidence_of(r),
        )
        for r in session.exec(query)
    ]


@router.get("/platforms")
def platforms(_: CallerDep, session: SessionDep) -> list[PlatformOut]:
    """Every platform ever registered (``active`` false once retired)."""
    rows = session.exec(select(m.Platform).order_by(col(m.Platform.platform_id)))
    return [_platform(r) for r in rows]


@router.get("/platforms/{platform_id}", responses={404: {"description": "UNKNOWN_PLATFORM"}})
def platform(
    _: CallerDep, session: SessionDep, platform_id: Annotated[str, Path(max_length=66)]
) -> PlatformOut:
    row = session.get(m.Platform, decode_id(encode_id(platform_id)))
    if row is None:
        raise ApiProblem(404, "UNKNOWN_PLATFORM", f"platform {platform_id!r} is not registered")
    return _platform(row)


def _platform(r: m.Platform) -> PlatformOut:
    return PlatformOut(
        id=r.platform_id, name=r.name, center=r.center, active=r.active, last_event=evidence_of(r)
    )


@router.get("/quorum")
def quorum(_: CallerDep, session: SessionDep) -> QuorumOut:
    """The percentage of current members whose yes votes a proposal must exceed."""
    row = session.get(m.Quorum, 1)
    if row is None:
        return QuorumOut(percent=m.QUORUM_DEFAULT_PERCENT, last_event=None)
    return QuorumOut(percent=row.percent, last_event=evidence_of(row))


@router.get("/proposals")
def proposals(
    _: CallerDep,
    session: SessionDep,
    status_: Annotated[StatusFilter | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> list[ProposalOut]:
    """Proposals, newest first, with their votes; ``status`` ``expired`` is an open proposal
    past its expiry (nothing on chain marks it; the node's clock decides)."""
    now = int(time.time())
    query = select(m.Proposal).order_by(col(m.Proposal.proposal_id).desc())
    if status_ in ("open", "expired"):
        query = query.where(col(m.Proposal.status) == ProposalStatus.OPEN)
        expiry = col(m.Proposal.expires_at)
        query = query.where(expiry >= now if status_ == "open" else expiry < now)
    elif status_ is not None:
        query = query.where(col(m.Proposal.status) == ProposalStatus[status_.upper()])
    rows = list(session.exec(query.offset(offset).limit(limit)))
    return _proposals(session, rows, now)


@router.get("/proposals/{proposal_id}", responses={404: {"description": "UNKNOWN_PROPOSAL"}})
def proposal(
    _: CallerDep, session: SessionDep, proposal_id: Annotated[int, Path(ge=1, le=2**62)]
) -> ProposalOut:
    row = session.get(m.Proposal, proposal_id)
    if row is None:
        raise ApiProblem(404, "UNKNOWN_PROPOSAL", f"no proposal {proposal_id}")
    return _proposals(session, [row], int(time.time()))[0]


def _proposals(session: SessionDep, rows: list[m.Proposal], now: int) -> list[ProposalOut]:
    votes: defaultdict[int, list[VoteOut]] = defaultdict(list)
    ids = [r.proposal_id for r in rows]
    if ids:
        query = select(m.Vote).where(col(m.Vote.proposal_id).in_(ids))
        for v in session.exec(query.order_by(col(m.Vote.block_number), col(m.Vote.log_index))):
            votes[v.proposal_id].append(VoteOut(voter=v.voter, support=v.support))
    out = []
    for r in rows:
        state = ProposalStatus(r.status)
        if state == ProposalStatus.OPEN and now > r.expires_at:
            state = ProposalStatus.EXPIRED
        out.append(
            ProposalOut(
                id=r.proposal_id,
                kind=ProposalKind(r.kind).name.lower(),
                status=state.name.lower(),
                proposer=r.proposer,
                expires_at=r.expires_at,
                yes=r.yes,
                no=r.no,
                action=_action(r.kind, r.payload),
                votes=votes[r.proposal_id],
                last_event=evidence_of(r),
            )
        )
    return out


def _action(kind: int, payload: bytes) -> dict[str, Any]:
    try:
        fields = asdict(decode_proposal_action(kind, payload))
    except Exception:  # a payload no client of ours wrote: show it raw
        return {"payload": hex0x(payload)}
    return {k: _plain(v) for k, v in fields.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return hex0x(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


# -- governance writes ------------------------------------------------------------------------


@router.post("/proposals", status_code=status.HTTP_201_CREATED, responses=CHAIN_WRITE_RESPONSES)
def propose(_: AdminDep, node: NodeDep, body: ProposalIn) -> ProposalResultOut:
    """Propose through the node's operator account (its own yes vote is cast with it)."""
    a = body.root
    c = node.client
    result: ProposalResult
    if a.kind == "add_member":
        result = c.propose_add_member(a.account, a.name, a.region_code)
    elif a.kind == "remove_member":
        result = c.propose_remove_member(a.account)
    elif a.kind == "accredit_ca":
        keys = [bytes.fromhex(k.removeprefix("0x")) for k in a.issuer_key_ids]
        result = c.propose_accredit_ca(a.ca_id, a.name, a.operators, keys)
    elif a.kind == "suspend_ca":
        result = c.propose_suspend_ca(a.ca_id)
    elif a.kind == "register_platform":
        result = c.propose_register_platform(a.platform_id, a.center, a.name)
    elif a.kind == "retire_platform":
        result = c.propose_retire_platform(a.platform_id)
    else:
        result = c.propose_set_quorum(a.quorum_percent)
    return ProposalResultOut.of(result)


@router.post("/proposals/{proposal_id}/votes", responses=CHAIN_WRITE_RESPONSES)
def vote(
    _: AdminDep,
    node: NodeDep,
    proposal_id: Annotated[int, Path(ge=1, le=2**62)],
    body: VoteIn,
) -> ProposalResultOut:
    """Vote with the node's operator account; the deciding vote executes or rejects."""
    return ProposalResultOut.of(node.client.vote(proposal_id, body.support))
