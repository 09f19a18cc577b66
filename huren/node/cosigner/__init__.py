"""The co-signing service (co-signer): it holds the co-signer's share of each enrolled key and
takes part in enrolment, signing and split decryption for the device that owns the key.

* :mod:`.wire`: what device and co-signer share: request signing, PIN proofs, base64 (pure;
  the device SDK imports it).
* :mod:`.errors`: :class:`CosignerError` and its typed refusals.
* :mod:`.at_rest`: shares and unwrap secrets encrypted under the node's key-encryption key.
* :mod:`.tickets`, :mod:`.auth`, :mod:`.records`: enrolment tickets, device request
  authentication with replay refusal, and the operation records.
* :mod:`.enrolment`: what node services call around enrolment: ``bind_certificate`` (the
  PKI, once it issued a certificate for the group key) and ``unlock`` (the identity service,
  once the holder's identity was verified again).
* :mod:`.frame`: what every operation checks and records; :mod:`.service`:
  :class:`CosignerService`, the rounds themselves.

This package must stay free of FastAPI; see docs/cosigner.md.
"""
