//! The JSON bodies of the API.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One student as the dashboard page reads it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Student {
    /// Primary key.
    #[schema(example = 1)]
    pub id: i32,
    /// Full name.
    #[schema(example = "Camille Martin")]
    pub nom: String,
    /// Promotion.
    #[schema(example = "M2 Info")]
    pub promo: String,
    /// The global view counter after this request, the same in every object of one
    /// answer; absent when Redis is unavailable (the page then shows "N/A (Cache HS)").
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 42)]
    pub views: Option<i64>,
}

/// `GET /version`: the legacy answer of the proof of concept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Version {
    /// PostgreSQL's `version()`.
    #[schema(example = "PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu")]
    pub version: String,
}
