"""Zones (专区, manual 2.15): a holder binds a certificate to a trading platform's zone, and
unbinds it, each with an SMS code to the account's phone and a signature by the
certificate's key over a statement; the platform's center records it on chain with the
statement's SHA-256 as the evidence hash.

``statement`` is pure (the device builds and checks statements with it); ``service`` holds
the node's side (SQL, the chain); ``errors`` the typed errors. See docs/zones.md.
"""
