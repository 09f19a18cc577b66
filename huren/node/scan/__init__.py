"""Scan-to-act (扫码登录 / 扫码签名 / 扫码签章): a platform asks, a QR code carries the node-signed
request, the holder's device shows it and approves (a co-signed signature) or denies, the node
checks the answer and the platform gets it. See docs/scan.md.

- :mod:`.wire`: the payload format and signed messages (pure; the device uses it too);
- :mod:`.kinds`: request kinds by action (login, sign; register more);
- :mod:`.service`: :class:`~.service.ScanService`, the node's side;
- :mod:`.qr`: PNG and SVG images of a payload;
- :mod:`.errors`: the one exception root, :class:`~.errors.ScanError`.
"""
