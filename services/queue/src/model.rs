//! What the API returns; the same types document the OpenAPI schemas.

use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /get_ticket`: the ticket just issued.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedTicket {
    /// The queue's name.
    #[schema(value_type = String, example = "rubis")]
    pub queue: Arc<str>,
    /// The ticket number, increasing from 1.
    #[schema(example = 42)]
    pub ticket: u64,
    /// Tickets waiting, this one included.
    #[schema(example = 3)]
    pub waiting: u64,
    /// When the ticket was issued (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime, example = "2026-11-21T09:30:00.123Z")]
    pub issued_at: Timestamp,
}

/// `POST /call_ticket`: the ticket called, or none when the queue is empty.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalledTicket {
    /// The queue's name.
    #[schema(value_type = String, example = "rubis")]
    pub queue: Arc<str>,
    /// The ticket called (the oldest one), `null` when the queue was empty.
    #[schema(example = 40)]
    pub ticket: Option<u64>,
    /// Tickets still waiting.
    #[schema(example = 2)]
    pub waiting: u64,
    /// How long the called ticket waited, in seconds; `null` when unknown or empty.
    #[schema(example = 12.5)]
    pub waited_seconds: Option<f64>,
}

/// One waiting ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    /// The ticket number.
    #[schema(example = 41)]
    pub ticket: u64,
    /// When it was issued; `null` for entries written by the original application.
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-11-21T09:29:40.004Z")]
    pub issued_at: Option<Timestamp>,
}

/// `GET /list_tickets`: the waiting tickets, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketList {
    /// The queue's name.
    #[schema(value_type = String, example = "rubis")]
    pub queue: Arc<str>,
    /// How many tickets wait in total (the list may be cut at `limit`).
    #[schema(example = 2)]
    pub waiting: u64,
    /// The tickets, oldest first.
    pub tickets: Vec<Ticket>,
}
