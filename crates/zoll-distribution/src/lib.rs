//! OCI distribution API client.
