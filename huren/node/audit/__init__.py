"""Auditing the consortium with the chain alone: ``replay`` rebuilds the registry's state
from its events since the deployment block, ``compare`` holds it against the contracts' views
and nodes' indexes, ``report`` writes what differs as JSON and as an HTML page with plots; the
Merkle tree over the certificate records with checkpoints anchored on chain, and the
operation log (操作追溯)."""
