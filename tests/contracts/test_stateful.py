"""Stateful property test: random sequences of governance, CA and platform changes, issuance,
revocation, zone bindings, authorizations and clock advances, run against the deployed
contracts (typed client on a fresh embedded chain per example) and against the plain model
(tests/contracts/model.py). After every operation both must agree: success in both, or the
same custom error with the same arguments in both; then the views are compared
(``stateful_support.check_all``), including ``recognizeAt`` with its exact reason bits.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from huren.registry.client import GOVERNANCE_ROLE, MEMBER_ROLE, ca_operator_role
from huren.registry.errors import ContractError, InvalidCertificateInput
from tests.contracts import model_governance as g
from tests.contracts import model_registry as r
from tests.contracts import model_roles as roles
from tests.contracts import stateful_inputs as i
from tests.contracts.model import ModelState, transact
from tests.contracts.stateful_support import (
    ADDRS,
    C2,
    C3,
    CA_IDS,
    F0,
    F1,
    FPS,
    KEYS,
    O0,
    O1,
    PLATFORM_IDS,
    RECOGNITION,
    ZERO_ID_STR,
    Chain,
    Focus,
    bid,
    check_all,
    compare_recognition,
    error_of,
    fresh_model,
    norm,
    pick,
)

STATS: Counter[str] = Counter()
ModelOp = Callable[[ModelState, int], Any]


class ContractsAgainstModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = Chain()
        self.state: ModelState = fresh_model(self.chain)
        self.tick = 0
        self.touched: set[int] = set()  # proposals proposed or voted on since the last check
        self.pairs: set[tuple[bytes, str]] = set()  # (fingerprint, platform) named since then
        self.seen: set[tuple[bytes, str]] = set()  # ... and ever
        self.fps: set[bytes] = set()  # certificates recorded or revoked since then
        STATS["examples"] += 1

    def teardown(self) -> None:
        """The full comparison at the end of an example (unless a step already failed)."""
        try:
            if sys.exc_info()[0] is None:
                check_all(self.chain, self.state, self.focus(full=True))
        finally:
            self.chain.close()

    def focus(self, *, full: bool = False) -> Focus:
        return Focus(self.tick, self.touched, self.pairs, self.seen, self.fps, full)

    # -- the lockstep ------------------------------------------------------------------------

    def step(self, label: str, model_op: ModelOp, chain_op: Callable[[], Any]) -> Any:
        """Run one transaction on the chain and in the model; they must agree."""
        block_time = max(self.chain.now, self.state.head_time + 1)
        after, result, revert = transact(self.state, block_time, model_op)
        STATS["transactions"] += 1
        try:
            got = chain_op()
        except ContractError as exc:
            want = None if revert is None else (revert.name, norm(revert.args_))
            assert error_of(exc) == want, (
                f"{label}: contract reverted {error_of(exc)}, model {want}"
            )
            STATS[f"{label} reverted {error_of(exc)[0]}"] += 1
            return None
        assert revert is None, f"{label}: contract succeeded, model reverts {revert!r}"
        STATS[f"{label} ok"] += 1
        self.state = after
        return result, got

    def proposal_step(self, sender: int, spec: tuple[Any, ...]) -> int | None:
        kind, payload, call = i.decode_spec(spec)
        client, me = self.chain.clients[sender], ADDRS[sender]
        out = self.step(
            f"propose {spec[0]}",
            lambda s, t: g.propose(s.gov, me, t, kind, payload),
            lambda: call(client),
        )
        if out is None:
            return None
        pid, res = out
        self.touched.add(pid)
        assert (res.proposal_id, res.status) == (pid, self.state.gov.proposals[pid - 1].status)
        STATS[f"executed {spec[0]}"] += res.executed
        return int(pid)

    def vote_step(self, sender: int, pid: int, support: bool) -> None:
        if 1 <= pid <= len(self.state.gov.proposals):
            self.touched.add(pid)
        me = ADDRS[sender]
        out = self.step(
            "vote",
            lambda s, t: g.vote(s.gov, me, t, pid, support),
            lambda: self.chain.clients[sender].vote(pid, support),
        )
        self.settled(out, pid)

    def settled(self, out: Any, pid: int) -> None:
        """The client's status of a voted or executed proposal is the model's."""
        if out is not None:
            p = self.state.gov.proposals[pid - 1]
            assert out[1].status == p.status
            STATS[f"executed {i.KIND_NAMES[p.kind]}"] += out[1].executed

    def execute_step(self, sender: int, pid: int) -> None:
        if 1 <= pid <= len(self.state.gov.proposals):
            self.touched.add(pid)
        me = ADDRS[sender]
        out = self.step(
            "execute",
            lambda s, t: g.execute(s.gov, me, t, pid),
            lambda: self.chain.clients[sender].execute(pid),
        )
        self.settled(out, pid)

    def pass_step(self, proposer: int, spec: tuple[Any, ...]) -> None:
        """Propose, then the other current members vote yes until it closes."""
        pid = self.proposal_step(proposer, spec)
        for voter in list(self.state.gov.current) if pid else []:
            p = self.state.gov.proposals[pid - 1]
            if p.status != g.P_OPEN:
                break
            if voter not in p.votes:
                self.vote_step(ADDRS.index(voter), pid, True)

    def record_step(
        self, sender: int, ca_id: str, key: bytes, certs: list[r.CertInput], batch: bool
    ) -> None:
        me, client = ADDRS[sender], self.chain.clients[sender]
        label = f"record {'batch' if batch else 'one'}"
        self.fps |= {c.fingerprint for c in certs}

        def model_op(s: ModelState, t: int) -> None:
            r.record_certificates(s.gov, s.reg, me, bid(ca_id), key, certs, batch=batch)

        try:
            typed = [i.typed_input(c) for c in certs]
        except InvalidCertificateInput:
            # The client refuses to build such an input: the model must agree that the
            # contract reverts, whose own check is then reached with hand-encoded calldata.
            assert transact(self.state, self.state.head_time + 1, model_op)[2] is not None, certs
            raw = self.chain.raw_record
            self.step(label + " raw", model_op, lambda: raw(sender, ca_id, key, certs, batch=batch))
            return
        if batch:
            self.step(label, model_op, lambda: client.record_certificates(ca_id, key, typed))
        else:
            self.step(label, model_op, lambda: client.record_certificate(ca_id, key, typed[0]))

    @property
    def next_time(self) -> int:
        """The block time of the next transaction."""
        return max(self.chain.now, self.state.head_time + 1)

    def open_proposals(self) -> list[int]:
        """Proposals still open for the next transaction (not decided, not expired)."""
        gov, now = self.state.gov, self.next_time
        return [n for n, p in enumerate(gov.proposals, 1) if g.proposal_status(p, now) == g.P_OPEN]

    def recorded(self, *kinds: int, active: bool = False) -> list[bytes]:
        return i.recorded(self.state, self.next_time, *kinds, active=active)

    def draw_cert(self, data: st.DataObject, **how: Any) -> r.CertInput:
        return i.draw_cert(self.state, self.chain.now, data, **how)

    # -- rules -------------------------------------------------------------------------------

    @initialize(bootstrap=st.sampled_from([True, True, True, False]), data=st.data())
    def bootstrap(self, bootstrap: bool, data: st.DataObject) -> None:
        """Usually start with two accredited CAs, two platforms, six certificates (an
        enterprise and a staff one of each CA) and sometimes more members."""
        if not bootstrap:
            return
        self.pass_step(F0, ("accredit", "ca-a", "CA A", [O0], [KEYS[0]]))
        self.pass_step(F1, ("accredit", "ca-b", "CA B", [O1], [KEYS[1], KEYS[2]]))
        self.pass_step(F0, ("register", "pf-1", F0, "Hangzhou GGZY"))
        self.pass_step(F1, ("register", "pf-2", F1, "Nanjing GGZY"))
        for center in (C2, C3)[: data.draw(st.sampled_from([0, 1, 2, 2]), label="more members")]:
            self.pass_step(F0, ("add", center, f"center {center}", 340100 + center))
        for sender, ca_id, key in ((O0, "ca-a", KEYS[0]), (O1, "ca-b", KEYS[2])):
            certs: list[r.CertInput] = []
            for kind in (r.KIND_ENTERPRISE, r.KIND_STAFF, None):
                taken = [c.fingerprint for c in certs]
                certs.append(self.draw_cert(data, valid=True, taken=taken, kind=kind))
            self.record_step(sender, ca_id, key, certs, True)

    @rule(op=st.sampled_from(i.OPERATIONS), data=st.data())
    def act(self, op: str, data: st.DataObject) -> None:
        """One operation, drawn with fixed weights (so every example mixes them all)."""
        STATS[f"op {op}"] += 1
        getattr(self, f"op_{op}")(data)

    def op_propose(self, data: st.DataObject) -> None:
        self.proposal_step(data.draw(i.members_first), i.draw_spec(self.state, data))

    def op_propose_and_pass(self, data: st.DataObject) -> None:
        self.pass_step(data.draw(i.members_first), i.draw_spec(self.state, data))

    def op_vote(self, data: st.DataObject) -> None:
        n = len(self.state.gov.proposals)
        pid = data.draw(st.sampled_from([n, n, max(n - 1, 0), n + 1, 0]))
        support = data.draw(st.sampled_from([True, True, False]))
        self.vote_step(data.draw(i.members_first), pid, support)

    def op_departure(self, data: st.DataObject) -> None:
        """A member who has not voted on an open proposal leaves; the proposal may now be
        decided without a further vote, which ``execute`` settles."""
        gov = self.state.gov
        open_ids = self.open_proposals()
        if not open_ids or len(gov.current) < 4:  # with 3 one departure decides nothing
            return
        pid = data.draw(st.sampled_from(open_ids))
        quiet = [a for a in gov.current if a not in gov.proposals[pid - 1].votes]
        if quiet:
            leaver = quiet.pop(data.draw(st.integers(0, len(quiet) - 1)))
            for voter in quiet:  # yes votes up to one short of passing
                yes, _ = g.count_votes(self.state.gov, self.state.gov.proposals[pid - 1])
                if (yes + 1) * 100 > len(self.state.gov.current) * self.state.gov.quorum:
                    break
                self.vote_step(ADDRS.index(voter), pid, True)
            proposer = next(a for a in self.state.gov.current if a != leaver)
            self.pass_step(ADDRS.index(proposer), ("remove", ADDRS.index(leaver)))
        self.execute_step(ADDRS.index(self.state.gov.current[0]), pid)

    def op_execute(self, data: st.DataObject) -> None:
        """Settle a proposal without voting (decided by a departure, or QuorumNotReached)."""
        sender, gov = data.draw(i.members_first), self.state.gov
        open_ids = self.open_proposals()
        self.execute_step(sender, pick(data, open_ids, range(len(gov.proposals) + 2)))

    def op_roles(self, data: st.DataObject) -> None:
        """CA operators manage their colleagues; nobody changes MEMBER_ROLE directly."""
        ca_id, account, how = data.draw(i.ca_ids), data.draw(i.accounts), data.draw(i.role_changes)
        sender = pick(data, i.operators_of(self.state, bid(ca_id)), [data.draw(i.operators_first)])
        c, me, who = self.chain.clients[sender], ADDRS[sender], ADDRS[account]
        role, ca = ca_operator_role(ca_id), bid(ca_id)
        if how == "grant":
            op: ModelOp = lambda s, t: roles.grant_operator(s.gov, me, ca, role, who)  # noqa: E731
            self.step("grant operator", op, lambda: c.grant_ca_operator(ca_id, who))
        elif how == "revoke":
            op = lambda s, t: roles.revoke_operator(s.gov, me, ca, role, who)  # noqa: E731
            self.step("revoke operator", op, lambda: c.revoke_ca_operator(ca_id, who))
        elif how.startswith("renounce"):
            confirm = me if how == "renounce" else who
            op = lambda s, t: roles.renounce_operator(s.gov, me, ca, confirm)  # noqa: E731
            self.step("renounce operator", op, lambda: c.renounce_role(role, confirm))
        else:
            change = account % 3  # grant, revoke, renounce
            op = lambda s, t: roles.member_role_write(s.gov, me, GOVERNANCE_ROLE, change == 2)  # noqa: E731
            calls = (
                lambda: c.grant_role(MEMBER_ROLE, who),
                lambda: c.revoke_role(MEMBER_ROLE, who),
                lambda: c.renounce_role(MEMBER_ROLE, me),
            )
            self.step("member role", op, calls[change])

    def op_record(self, data: st.DataObject) -> None:
        n, batch, gov = data.draw(st.integers(0, 3)), data.draw(i.batches), self.state.gov
        accredited = [c for c in CA_IDS if g.ca_status(gov, bid(c)) == g.CA_ACCREDITED]
        ca_id = pick(data, accredited, [*CA_IDS, ZERO_ID_STR])
        sender = pick(data, i.operators_of(self.state, bid(ca_id)), range(len(ADDRS)))
        ca = gov.cas.get(bid(ca_id))
        key = pick(data, ca.issuer_key_ids if ca else [], [*KEYS, g.ZERO_ID])
        certs: list[r.CertInput] = []
        for _ in range(n if batch else 1):
            certs.append(self.draw_cert(data, taken=[c.fingerprint for c in certs]))
        self.record_step(sender, ca_id, key, certs, batch)

    def op_revoke(self, data: st.DataObject) -> None:
        n, batch, short = data.draw(st.integers(1, 3)), data.draw(i.batches), data.draw(i.shorts)
        fs = [pick(data, self.recorded(active=True), [*FPS, g.ZERO_ID])]
        for _ in range(n - 1 if batch else 0):  # mostly more of the same CA's active ones
            same = set(i.issuer_operators(self.state, fs[0]))
            more = [f for f in self.recorded(active=True) if f not in fs]
            more = [f for f in more if same & set(i.issuer_operators(self.state, f))]
            fs.append(pick(data, more, [*FPS, g.ZERO_ID]))
        rs = [data.draw(i.reasons) for _ in fs[: len(fs) - (batch and short)]]
        sender = pick(data, i.issuer_operators(self.state, fs[0]), range(len(ADDRS)))
        me, c = ADDRS[sender], self.chain.clients[sender]
        self.fps |= set(fs)
        op: ModelOp = lambda s, t: r.revoke_certificates(s.gov, s.reg, me, t, fs, rs, batch=batch)  # noqa: E731
        if batch:
            self.step("revoke batch", op, lambda: c.revoke_certificates(fs, rs))
        else:
            self.step("revoke one", op, lambda: c.revoke_certificate(fs[0], rs[0]))

    def op_zone(self, data: st.DataObject) -> None:
        unbind, evidence = data.draw(st.booleans()), data.draw(i.evidences)
        bound = [(f, p.rstrip(b"\0").decode()) for f, p in self.state.reg.bindings]
        if unbind and bound and data.draw(st.integers(0, 3)) > 0:
            fp, pid = data.draw(st.sampled_from(bound))
        else:
            fp = pick(data, self.recorded(active=True), [*FPS, g.ZERO_ID])
            pid = pick(data, i.platforms(self.state, active=True), [*PLATFORM_IDS, ZERO_ID_STR])
        pl = self.state.gov.platforms.get(bid(pid))
        sender = pick(data, [ADDRS.index(pl.center)] if pl else [], range(len(ADDRS)))
        me, c = ADDRS[sender], self.chain.clients[sender]
        self.pairs.add((fp, pid))
        if unbind:
            op: ModelOp = lambda s, t: r.unbind(s.gov, s.reg, me, fp, bid(pid), evidence)  # noqa: E731
            self.step("unbind", op, lambda: c.unbind_certificate(fp, pid, evidence))
        else:
            op = lambda s, t: r.bind(s.gov, s.reg, me, t, fp, bid(pid), evidence)  # noqa: E731
            self.step("bind", op, lambda: c.bind_certificate(fp, pid, evidence))

    def op_authorize(self, data: st.DataObject) -> None:
        rights, withdraw = data.draw(i.rights), data.draw(st.sampled_from([False, False, True]))
        held = [(f, p.rstrip(b"\0").decode()) for f, p in self.state.reg.authorizations]
        if withdraw and held and data.draw(st.integers(0, 3)) > 0:
            staff, pid = data.draw(st.sampled_from(held))
        else:
            staff = pick(data, self.recorded(r.KIND_STAFF, active=True), [*FPS, g.ZERO_ID])
            pid = pick(data, i.platforms(self.state, active=True), [*PLATFORM_IDS, ZERO_ID_STR])
        ent = pick(data, self.recorded(r.KIND_ENTERPRISE, active=True), [*FPS, g.ZERO_ID])
        sender = pick(data, i.issuer_operators(self.state, staff), range(len(ADDRS)))
        me, c, p = ADDRS[sender], self.chain.clients[sender], bid(pid)
        self.pairs.add((staff, pid))
        if withdraw:
            op: ModelOp = lambda s, t: r.revoke_authorization(s.gov, s.reg, me, staff, p)  # noqa: E731
            self.step("revoke authorization", op, lambda: c.revoke_authorization(staff, pid))
        else:
            op = lambda s, t: r.grant_authorization(s.gov, s.reg, me, t, staff, p, ent, rights)  # noqa: E731
            self.step(
                "grant authorization", op, lambda: c.grant_authorization(staff, pid, ent, rights)
            )

    def op_advance_clock(self, data: st.DataObject) -> None:
        self.chain.now = max(self.chain.now, self.state.head_time) + data.draw(i.advances)
        STATS["clock advances"] += 1

    def op_recognition(self, data: st.DataObject) -> None:
        fp, pid, action = data.draw(i.fps), data.draw(i.platform_ids), data.draw(i.actions)
        at = self.chain.now + data.draw(i.whens)
        compare_recognition(self.chain, self.state, fp, pid, action, at)
        STATS["recognition probes"] += 1

    @invariant()
    def agrees_with_model(self) -> None:
        self.tick += 1
        STATS["checked steps"] += 1
        check_all(self.chain, self.state, self.focus())
        self.seen |= self.pairs
        self.touched, self.pairs, self.fps = set(), set(), set()


def test_contracts_agree_with_model() -> None:
    STATS.clear()
    RECOGNITION.clear()
    run_state_machine_as_test(
        ContractsAgainstModel,
        settings=settings(
            max_examples=25,
            stateful_step_count=35,
            deadline=None,
            derandomize=True,
            database=None,
            print_blob=True,
        ),
    )
    report = "\n".join(f"  {k}: {v}" for k, v in sorted(STATS.items()) if v)
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(RECOGNITION.items()))
    print(f"stateful contracts/model run:\n{report}\n  recognition outcomes: {outcomes}")
