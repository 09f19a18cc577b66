"""The node's PKI (issue 4, CA side): CAs, certificate profiles, issuance recorded on chain,
OCSP and CRLs from the index. No HTTP here; ``huren.api.routers.pki`` serves it.

- ``ca``: a CA institution's root and issuing CA (P-256), demo derivation, encrypted files,
  the accreditation check;
- ``profiles``: subjects (enterprise, staff, personal) and the leaf certificate builder;
- ``issuance``: approved requests -> reserved, signed, recorded on chain, downloadable;
  revocation by the issuing CA;
- ``status``, ``ocsp``, ``crl``: status from the index, the OCSP responder, the CRL;
- ``service``: ``Pki``, all of it for the node's CAs.
"""
