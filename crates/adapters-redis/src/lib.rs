//! Redis adapters: idempotency records, read-through caches with namespaced, versioned keys,
//! the session token store (access token blocklist, refresh token families), permission caches
//! keyed by entitlements version, rate-limit counters, and the job queue on Redis Streams.
//!
//! Nothing is implemented yet: the in-memory adapters serve every port.
