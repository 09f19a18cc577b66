"""Certificate applications (申领, issue 4): kinds, states and their transition table,
attachments and the form, the enterprise admin's and the CA's reviews, payment through the
``Billing`` seam, issuance through the PKI on download, holder lists and revocation.

- ``model``: kinds, states, ``TRANSITIONS``, what each kind needs;
- ``service``: ``ApplicationService`` (create, attach, submit, reviews, payment);
- ``issuing``: ``CertificateDesk`` (download with proven keys, lists, revocation);
- ``keys``: CSR and encryption-key proofs; ``attachments``: upload checks and the form PDF;
- ``split_keys``: ``SplitKeyDesk`` (co-signer enrolment tickets for the holder, download
  for keys split with the co-signer, the certificates bound to the enrolments);
- ``billing``: the ``Billing`` seam, ``NodeBilling`` over the node's billing service.
"""

from __future__ import annotations

from huren.node.applications.billing import Billing, NodeBilling, UnconfiguredBilling
from huren.node.applications.errors import ApplicationError
from huren.node.applications.issuing import CertificateDesk
from huren.node.applications.model import ApplicationKind, ApplicationState, AttachmentKind
from huren.node.applications.service import ApplicationService, NewApplication

__all__ = [
    "ApplicationError",
    "ApplicationKind",
    "ApplicationService",
    "ApplicationState",
    "AttachmentKind",
    "Billing",
    "CertificateDesk",
    "NewApplication",
    "NodeBilling",
    "UnconfiguredBilling",
]
