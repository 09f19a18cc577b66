"""The simulators behave as documented, and a node without adapters refuses plainly."""

from __future__ import annotations

import pytest

from huren.node.ports import (
    AlipayResult,
    PortNotConfigured,
    PortRefused,
    PortTimeout,
    PortUnavailable,
)
from huren.node.ports.simulators import (
    SimulatedAlipay,
    SimulatedBank,
    SimulatedCfca,
    SimulatedSms,
    SimulatedWeChat,
    unconfigured_ports,
)

ID = "11010519491231002X"


def test_sms_outbox_newest_first_per_phone() -> None:
    sms = SimulatedSms(keep=3)
    ids = [sms.send(p, f"text {i}") for i, p in enumerate(["13800138000", "13900139000"] * 2)]
    assert len(set(ids)) == 4
    assert [m.text for m in sms.outbox("13800138000")] == ["text 2"]  # keeps the newest 3
    assert [m.text for m in sms.outbox()] == ["text 3", "text 2", "text 1"]
    for tail, error in (("0000", PortRefused), ("0408", PortTimeout), ("0503", PortUnavailable)):
        with pytest.raises(error):
            sms.send("1381234" + tail, "x")


def test_wechat_users_are_stable_and_codes_single_use() -> None:
    wechat = SimulatedWeChat()
    a1, a2, b = wechat.exchange("alice.1"), wechat.exchange("alice.2"), wechat.exchange("bob.1")
    assert a1 == a2 and a1.openid != b.openid and len(a1.openid) == 28
    with pytest.raises(PortRefused) as refused:
        wechat.exchange("alice.1")
    assert refused.value.reason == "code_used"


def test_identity_simulators() -> None:
    assert SimulatedCfca().verify("张三", ID) == SimulatedCfca().verify("张三", ID)
    for name, error in (
        ("王超时", PortTimeout),
        ("王故障", PortUnavailable),
        ("王拒绝", PortRefused),
    ):
        with pytest.raises(error):
            SimulatedCfca().verify(name, ID)
        with pytest.raises(error):
            SimulatedBank().verify(name, ID, "4111111111111111", "13912345678")
    alipay = SimulatedAlipay()
    outcomes = {
        n: alipay.result(alipay.start(n, ID).certify_id) for n in ("张三", "钱未通过", "孙等待")
    }
    assert outcomes == {
        "张三": AlipayResult.PASSED,
        "钱未通过": AlipayResult.FAILED,
        "孙等待": AlipayResult.PENDING,
    }
    with pytest.raises(PortRefused):
        alipay.result("no-such-id")


def test_unconfigured_ports_refuse_everything() -> None:
    ports = unconfigured_ports()
    calls = [
        lambda: ports.sms.send("13800138000", "x"),
        lambda: ports.wechat.exchange("c"),
        lambda: ports.cfca.verify("张三", ID),
        lambda: ports.alipay.start("张三", ID),
        lambda: ports.alipay.result("x"),
        lambda: ports.bank.verify("张三", ID, "4111111111111111", "13800138000"),
    ]
    for call in calls:
        with pytest.raises(PortNotConfigured):
            call()
