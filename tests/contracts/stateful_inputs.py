"""Inputs of the stateful contract test: biased strategies over the small pools of
``stateful_support``, proposal specs and how each maps to the model and the client, and the
ways a certificate input is broken."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from huren.registry.types import CertificateInput
from tests.contracts import model_governance as g
from tests.contracts import model_registry as r
from tests.contracts.model import ModelState
from tests.contracts.stateful_support import (
    ADDRS,
    C2,
    C3,
    CA_IDS,
    EVIDENCE,
    F0,
    F1,
    FPS,
    HOLDER,
    KEYS,
    O0,
    O1,
    PLATFORM_IDS,
    VOTING_PERIOD,
    ZERO_ADDR,
    ZERO_ID_STR,
    X,
    bid,
    pick,
)

DAY = 86_400

# Valid choices repeat so that most operations can succeed; the rest make them fail.
members_first = st.sampled_from([F0, F1, F0, F1, C2, C3, X])
operators_first = st.sampled_from([O0, O1, O0, O1, F0, X])
accounts = st.sampled_from([F0, F1, C2, C3, O0, O1, X])
ca_ids = st.sampled_from([*CA_IDS, CA_IDS[0], ZERO_ID_STR])
platform_ids = st.sampled_from([*PLATFORM_IDS, ZERO_ID_STR])
keys = st.sampled_from([*KEYS, KEYS[0], KEYS[1], g.ZERO_ID])
fps = st.sampled_from([*FPS, g.ZERO_ID])
names = st.sampled_from(["n1", "n2", "n1", ""])
reasons = st.sampled_from([0, 1, 2, 3, 4, 5, 9, 10] * 3 + [6, 7, 8, 11, 255])
rights = st.sampled_from([1, 2, 4, 8, 16, 3, 31, 0, 32])
actions = st.sampled_from([*r.ACTIONS, 3, 32, 255])
advances = st.sampled_from([1, 60, 3600, DAY, VOTING_PERIOD - 1, VOTING_PERIOD, 40 * DAY])
offsets = st.sampled_from([-30 * DAY, -DAY, 0, 60, DAY])  # notBefore - now
durations = st.sampled_from([1, 3600, DAY, 30 * DAY, 365 * DAY])  # notAfter - notBefore
whens = st.sampled_from([-DAY, -1, 0, 1, 10 * DAY, 400 * DAY])  # recognition time - now
batches = st.sampled_from([True, True, False])
shorts = st.sampled_from([False] * 5 + [True])  # a reasons list one short
evidences = st.sampled_from([EVIDENCE] * 3 + [g.ZERO_ID])
role_changes = st.sampled_from(["grant", "grant", "revoke", "renounce", "renounce other", "member"])

# The machine's operations and their weights: one rule draws from these, so that every
# example mixes all of them (Hypothesis would otherwise switch whole rules off per example).
WEIGHTS = {
    "propose": 2,
    "propose_and_pass": 3,
    "vote": 2,
    "execute": 1,
    "departure": 1,
    "roles": 2,
    "record": 3,
    "revoke": 2,
    "zone": 2,
    "authorize": 2,
    "advance_clock": 2,
    "recognition": 1,
}
OPERATIONS = [name for name, weight in WEIGHTS.items() for _ in range(weight)]

# (what, *arguments); account -1 is the zero address.
proposal_specs = st.one_of(  # Hypothesis favours the first: the ones recognition feels
    st.tuples(st.just("suspend"), ca_ids),
    st.tuples(st.just("retire"), platform_ids),
    st.tuples(st.just("remove"), st.sampled_from([F0, F1, C2, C3, X])),
    st.tuples(
        st.just("accredit"),
        ca_ids,
        names,
        st.lists(st.sampled_from([O0, O1, O0, O1, F0, -1]), max_size=2),
        st.lists(keys, max_size=2),
    ),
    st.tuples(st.just("register"), platform_ids, st.sampled_from([F0, F1, C2, X]), names),
    st.tuples(st.just("quorum"), st.sampled_from([50, 60, 67, 75, 99, 49, 100])),
    st.tuples(
        st.just("add"),
        st.sampled_from([C2, C3, C2, F0, X, -1]),
        names,
        st.sampled_from([310000, 320500, 99999, 1000000]),
    ),
)
KIND_NAMES = ("add", "remove", "accredit", "suspend", "register", "retire", "quorum")

# One broken field of a certificate input (the client refuses most; the contract all).
BREAKS: dict[str, Callable[[r.CertInput], dict[str, Any]]] = {
    "kind 0": lambda c: {"kind": 0},
    "kind 4": lambda c: {"kind": 4},
    "usage 0": lambda c: {"usage": 0},
    "usage 3": lambda c: {"usage": 3},
    "scope 0": lambda c: {"scope": 0},
    "scope 3": lambda c: {"scope": 3, "center": ZERO_ADDR},
    "alliance with center": lambda c: {"scope": 1, "center": ADDRS[F0]},
    "regional without center": lambda c: {"scope": 2, "center": ZERO_ADDR},
    "regional outsider": lambda c: {"scope": 2, "center": ADDRS[X]},
    "no holder": lambda c: {"holder": g.ZERO_ID},
    "empty validity": lambda c: {"not_after": c.not_before},
    "reversed validity": lambda c: {"not_after": c.not_before - 5},
    "validity past uint40": lambda c: {"not_after": 2**40},
    "own predecessor": lambda c: {"predecessor": c.fingerprint},
    "unknown predecessor": lambda c: {"predecessor": FPS[7]},
}


def addr(i: int) -> str:
    return ZERO_ADDR if i < 0 else ADDRS[i]


def decode_spec(spec: tuple[Any, ...]) -> tuple[int, tuple[Any, ...], Callable[[Any], Any]]:
    """(proposal kind, the model's payload, the client call) of a proposal spec."""
    what, *a = spec
    if what == "add":
        account = addr(a[0])
        return (
            g.ADD_MEMBER,
            (account, a[1], a[2]),
            lambda c: c.propose_add_member(account, a[1], a[2]),
        )
    if what == "remove":
        return g.REMOVE_MEMBER, (addr(a[0]),), lambda c: c.propose_remove_member(addr(a[0]))
    if what == "accredit":
        ops, ks = tuple(addr(i) for i in a[2]), tuple(a[3])
        return (
            g.ACCREDIT_CA,
            (bid(a[0]), a[1], ops, ks),
            lambda c: c.propose_accredit_ca(a[0], a[1], ops, ks),
        )
    if what == "suspend":
        return g.SUSPEND_CA, (bid(a[0]),), lambda c: c.propose_suspend_ca(a[0])
    if what == "register":
        center = addr(a[1])
        return (
            g.REGISTER_PLATFORM,
            (bid(a[0]), center, a[2]),
            lambda c: c.propose_register_platform(a[0], center, a[2]),
        )
    if what == "retire":
        return g.RETIRE_PLATFORM, (bid(a[0]),), lambda c: c.propose_retire_platform(a[0])
    return g.SET_QUORUM, (a[0],), lambda c: c.propose_set_quorum(a[0])


# -- choices that mostly fit the model's state (else anything from the pools) ---------------


def operators_of(s: ModelState, ca_id: bytes) -> list[int]:
    return [ADDRS.index(a) for a in s.gov.operators.get(ca_id, [])]


def issuer_operators(s: ModelState, fp: bytes) -> list[int]:
    rec = s.reg.records.get(fp)
    return operators_of(s, s.gov.ca_by_index[rec.ca_index - 1]) if rec else []


def recorded(s: ModelState, now: int, *kinds: int, active: bool = False) -> list[bytes]:
    """Recorded certificates (of ``kinds``); with ``active`` only those usable at ``now``."""
    return [
        f
        for f, rec in s.reg.records.items()
        if (not kinds or rec.kind in kinds) and (not active or r.valid_at(rec, now))
    ]


def platforms(s: ModelState, *, active: bool) -> list[str]:
    found = ((p, s.gov.platforms.get(bid(p))) for p in PLATFORM_IDS)
    return [p for p, pl in found if (pl is not None and pl.active) == active]


def draw_spec(s: ModelState, data: st.DataObject) -> tuple[Any, ...]:
    """A proposal, its target mostly one for which it can pass."""
    spec: tuple[Any, ...] = data.draw(proposal_specs)
    gov, what = s.gov, spec[0]
    if what == "suspend":
        ok = [c for c in CA_IDS if g.ca_status(gov, bid(c)) == g.CA_ACCREDITED]
        spec = (what, pick(data, ok, [spec[1]]))
    elif what == "retire":
        spec = (what, pick(data, platforms(s, active=True), [spec[1]]))
    elif what == "accredit" and data.draw(st.integers(0, 5), label="valid accreditation"):
        ca = bid(pick(data, [c for c in CA_IDS if bid(c) in gov.cas], CA_IDS))  # mostly again
        free = [k for k in KEYS if gov.ca_of_key.get(k) in (None, ca)]
        ops = st.lists(st.sampled_from([O0, O1, F0]), min_size=1, max_size=2)
        ks = st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True) if free else None
        name = spec[2] or "n1"
        spec = (
            what,
            ca.rstrip(b"\0").decode(),
            name,
            data.draw(ops),
            data.draw(ks) if ks is not None else [],
        )
    elif what == "register":
        fresh = [p for p in PLATFORM_IDS if bid(p) not in gov.platforms]
        center = pick(data, [ADDRS.index(a) for a in gov.current], [spec[2]])
        spec = (what, pick(data, fresh, [spec[1]]), center, spec[3])
    return spec


def draw_cert(
    s: ModelState,
    now: int,
    data: st.DataObject,
    *,
    valid: bool = False,
    taken: Any = (),
    kind: int | None = None,
) -> r.CertInput:
    """A certificate input: valid (fresh fingerprint, member center, known predecessor)
    with ``valid`` (then also usable from about ``now`` for a year) and mostly otherwise,
    else with one field broken. ``taken``: the fingerprints already in the batch."""
    reg, members = s.reg.records, s.gov.current

    def good(ok: list[Any], every: list[Any]) -> Any:
        return data.draw(st.sampled_from(ok)) if valid else pick(data, ok, every)

    fp = good([f for f in FPS if f not in reg and f not in taken], [*FPS, g.ZERO_ID])
    kind = kind or data.draw(st.integers(1, 3))
    usage, scope = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    center = good(members, [*ADDRS, ZERO_ADDR]) if scope == r.SCOPE_REGIONAL else ZERO_ADDR
    pred = good([g.ZERO_ID] * 3 + list(reg), [g.ZERO_ID, *FPS])
    nb = now + data.draw(st.sampled_from([-DAY, 0]) if valid else offsets)
    na = nb + (365 * DAY if valid else data.draw(durations))
    c = r.CertInput(fp, HOLDER, pred, nb, na, kind, usage, scope, center)
    if valid or data.draw(st.integers(0, 7), label="break a field") > 0:
        return c
    return replace(c, **BREAKS[data.draw(st.sampled_from(list(BREAKS)))](c))


def typed_input(c: r.CertInput) -> CertificateInput:
    """The client's input (raises InvalidCertificateInput for what it refuses to build)."""
    return CertificateInput(
        fingerprint=c.fingerprint,
        holder=c.holder,
        not_before=c.not_before,
        not_after=c.not_after,
        kind=c.kind,
        usage=c.usage,
        scope=c.scope,
        center=None if c.center == ZERO_ADDR else c.center,
        predecessor=None if c.predecessor == g.ZERO_ID else c.predecessor,
    )
