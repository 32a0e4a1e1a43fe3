//! S3 adapters: presigned uploads (POST policies and PUTs with signed length and type) and
//! short-lived presigned downloads, with keys under `tenants/{tenant_id}/`, on `aws-sdk-s3`.
//!
//! Nothing is implemented yet.
