"""Use cases: each one a unit of work that loads, applies the pure rules, saves, audits and enqueues."""
