"""Privacy: personal data sealed per citizen, CPR numbers kept only as keyed hashes,
retention by legal area, and erasure by destroying keys (crypto-shredding).

See docs/privacy.md. The pieces:

- ``oneplan.aggregates.personal``: which event fields are personal, and how each reads
  once erased (declared next to the events);
- ``keystore``: the data keys (wrapped), stream owners and CPR hashes, in the database;
- ``sealing``: AES-GCM sealing of personal fields, key destruction, master-key rotation;
- ``retention``: retention classes and periods, and whose key seals each stream.
"""
