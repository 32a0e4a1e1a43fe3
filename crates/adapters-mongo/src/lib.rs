//! MongoDB adapters: the repositories of every tenant-owned aggregate on the official `mongodb`
//! driver, one client per process, a document type per aggregate owned here (never the domain
//! type) carrying `tenant_id`, `audit` and `version`, every filter built from the
//! `TenantScope`, and the indexes each collection needs, all unique ones compound with
//! `tenant_id`.
//!
//! Nothing is implemented yet: the in-memory adapters serve every port.
