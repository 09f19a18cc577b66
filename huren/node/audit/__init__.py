"""Auditing the consortium: replaying the chain, Merkle proofs over the certificate records,
checkpoints anchored on chain, and the operation log (操作追溯)."""
