"""The holder's phone side, as a Python SDK and the ``huren device`` CLI: a device key that
signs every request, key shares sealed under the PIN, and the two-party rounds with the
co-signer over HTTP. It imports nothing of the node but the pure key-splitting library and
the shared wire codec (``huren.node.cosigner.wire``). See docs/cosigner.md."""
