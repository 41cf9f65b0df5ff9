//! `/get_ticket`, `/call_ticket`, `/list_tickets`: the queue itself. `GET` is
//! accepted beside `POST` on the first two, for clients of the original application.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use serde::Deserialize;
use telemetry::http::ErrorBody;
use utoipa::IntoParams;

use crate::auth::require_api_key;
use crate::error::ApiError;
use crate::model::{CalledTicket, IssuedTicket, Ticket, TicketList};
use crate::state::AppState;
use crate::store::MAX_LIST_LIMIT;

/// Tickets listed when no `limit` is given.
pub const DEFAULT_LIST_LIMIT: usize = 1_000;

pub(super) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/get_ticket", get(get_ticket).post(get_ticket))
        .route("/call_ticket", get(call_ticket).post(call_ticket))
        .route("/list_tickets", get(list_tickets))
        // Auth runs first (outermost), then the chaos injection.
        .route_layer(from_fn_with_state(
            Arc::clone(&state.chaos),
            telemetry::chaos::inject_errors,
        ))
        .route_layer(from_fn_with_state(state.keys.clone(), require_api_key))
}

/// Take a number: issues the next ticket.
#[utoipa::path(
    method(post, get),
    path = "/get_ticket",
    tag = "tickets",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Ticket issued", body = IssuedTicket),
        (status = 401, description = "Missing or invalid API key", body = ErrorBody),
        (status = 500, description = "Injected failure (chaos endpoints only)", body = ErrorBody),
        (status = 503, description = "Redis is unavailable", body = ErrorBody),
    )
)]
pub async fn get_ticket(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<IssuedTicket>), ApiError> {
    let issued = state.store.issue().await?;
    state.metrics.ticket_issued();
    Ok((
        StatusCode::CREATED,
        Json(IssuedTicket {
            queue: state.queue.shared(),
            ticket: issued.ticket,
            waiting: issued.waiting,
            issued_at: issued.issued_at,
        }),
    ))
}

/// Call the next number: removes the oldest ticket (FIFO).
#[utoipa::path(
    method(post, get),
    path = "/call_ticket",
    tag = "tickets",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Oldest ticket called; `ticket` is null when the queue was empty", body = CalledTicket),
        (status = 401, description = "Missing or invalid API key", body = ErrorBody),
        (status = 500, description = "Injected failure (chaos endpoints only)", body = ErrorBody),
        (status = 503, description = "Redis is unavailable", body = ErrorBody),
    )
)]
pub async fn call_ticket(State(state): State<AppState>) -> Result<Json<CalledTicket>, ApiError> {
    let called = state.store.call().await?;
    let (ticket, waited_seconds) = match called.ticket {
        Some((ticket, waited)) => {
            let waited_seconds = waited.map(|waited| waited.as_secs_f64());
            state.metrics.ticket_called(waited_seconds);
            (Some(ticket), waited_seconds)
        }
        None => (None, None),
    };
    Ok(Json(CalledTicket {
        queue: state.queue.shared(),
        ticket,
        waiting: called.waiting,
        waited_seconds,
    }))
}

/// Query parameters of `/list_tickets`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Most tickets to return (1 to 10000, default 1000); `waiting` always gives the total.
    pub limit: Option<usize>,
}

/// List the waiting tickets, oldest first.
#[utoipa::path(
    get,
    path = "/list_tickets",
    tag = "tickets",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Waiting tickets, oldest first", body = TicketList),
        (status = 400, description = "Invalid `limit`", body = ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = ErrorBody),
        (status = 500, description = "Injected failure (chaos endpoints only)", body = ErrorBody),
        (status = 503, description = "Redis is unavailable", body = ErrorBody),
    )
)]
pub async fn list_tickets(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<TicketList>, ApiError> {
    let Query(params) = params.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let limit = params.limit.unwrap_or(DEFAULT_LIST_LIMIT);
    if !(1..=MAX_LIST_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIST_LIMIT}, got {limit}"
        )));
    }
    let listing = state.store.list(limit).await?;
    Ok(Json(TicketList {
        queue: state.queue.shared(),
        waiting: listing.waiting,
        tickets: listing
            .tickets
            .into_iter()
            .map(|(ticket, issued_at)| Ticket { ticket, issued_at })
            .collect(),
    }))
}
