"""Key splitting: FROST(Ed25519, SHA-512) 2-of-3 signing, DKG, resharing, split X25519."""
