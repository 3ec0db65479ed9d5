//! A hair salon's booking bot: the steps its Chatlayer bot calls, embedded under
//! `/chatlayer` in the salon's existing axum app (its own routes, state and tracing layer).

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chatlayer_runtime::BuildError;
use chatlayer_runtime::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// What the customer comes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// A haircut (30 minutes).
    Haircut,
    /// A colour (90 minutes).
    Colour,
    /// A beard trim (15 minutes).
    Beard,
}

/// Who is booking: the bot keeps it in the session variable `customer`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct Customer {
    /// The name to book under.
    pub name: String,
    /// A phone number for reminders.
    pub phone: Option<String>,
}

/// What a booking stores in the session, under `booking`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Booking {
    /// The booking's number, for the customer to quote.
    pub id: u64,
    /// The service booked.
    pub service: Service,
    /// The slot booked, e.g. `2026-11-23T10:00`.
    pub slot: String,
}

/// The salon's calendar: the slots taken, shared by every request.
#[derive(Debug, Default)]
pub struct Calendar {
    taken: Mutex<BTreeMap<String, (Service, String)>>,
}

impl Calendar {
    /// Takes `slot` for `customer`, or says it was taken; returns the booking's number.
    pub fn take(&self, slot: &str, service: Service, customer: &str) -> Option<u64> {
        let mut taken = self
            .taken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if taken.contains_key(slot) {
            return None;
        }
        taken.insert(slot.to_owned(), (service, customer.to_owned()));
        Some(taken.len() as u64)
    }

    /// The bookings, by slot.
    pub fn bookings(&self) -> BTreeMap<String, (Service, String)> {
        self.taken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Book a slot.
///
/// Stores the booking under `booking` and confirms it. A slot that is already taken, or a
/// request the bot builder configured wrong, goes to `on_error`.
#[api_step("/book", namespace = "booking", session = Booking, tag = "booking",
           fallback = on_error, fallback_message = "Sorry, we could not book that. Let's try again.")]
pub async fn book(
    /// The service, from the quick replies: `haircut`, `colour` or `beard`.
    service: Service,
    /// The slot chosen, e.g. `2026-11-23T10:00`.
    slot: String,
    /// The session variable `customer`.
    customer: Customer,
    /// Anything the customer wants the stylist to know.
    note: Option<String>,
    /// Where the conversation goes once the slot is booked.
    on_booked: BlockId,
    /// Where the conversation goes when the slot cannot be booked.
    on_error: BlockId,
    calendar: Dep<Calendar>,
) -> Result<Reply, StepError> {
    let Some(id) = calendar.take(&slot, service, &customer.name) else {
        return Err(
            StepError::bad_request(format!("slot {slot} is already taken"))
                .with_user_message("Sorry, that slot was just taken. Please pick another one."),
        );
    };
    let mut confirmation = format!("Booked: {service:?} on {slot} for {}.", customer.name);
    if note.is_some() {
        confirmation.push_str(" We passed your note on.");
    }
    Ok(Reply::new()
        .add_session_data(Booking { id, service, slot })
        .add_message(confirmation)
        .set_next_dialog_state(on_booked))
}

/// Send customers who already booked to managing their booking, others to booking one.
#[next_block(tag = "booking")]
pub fn start(
    /// The session variable `booking.id`, once the customer has booked.
    booking_id: Option<u64>,
    /// The block to manage a booking.
    manage: BlockId,
    /// The block to book one.
    book: BlockId,
) -> BlockId {
    if booking_id.is_some() { manage } else { book }
}

/// The salon app's own state.
#[derive(Clone)]
pub struct Salon {
    calendar: Arc<Calendar>,
}

async fn bookings(State(salon): State<Salon>) -> Json<BTreeMap<String, (Service, String)>> {
    Json(salon.calendar.bookings())
}

/// The salon's app: its own routes, the Chatlayer steps under `/chatlayer`, and tracing of
/// every request (tower-http's `TraceLayer`).
pub fn salon_app() -> Result<Router, BuildError> {
    let calendar = Arc::new(Calendar::default());
    let steps = App::from_steps([book::STEP, start::STEP])
        .provide_arc(Arc::clone(&calendar))
        .docs(
            chatlayer_runtime::openapi::ApiDocs::new()
                .tag("booking", "Booking a slot at the salon."),
        )
        .build()?;
    Ok(Router::new()
        .route(
            "/",
            get(|| async { "Salon Bella: book online or with our bot." }),
        )
        .route("/admin/bookings", get(bookings))
        .nest("/chatlayer", steps.router())
        .layer(TraceLayer::new_for_http())
        .with_state(Salon { calendar }))
}
