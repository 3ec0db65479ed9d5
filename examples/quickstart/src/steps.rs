//! The shop bot's steps: each function is one API step a Chatlayer bot can call.

use chatlayer_runtime::StepError;
use chatlayer_runtime::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::shop::{Bank, Catalog, Shipping, TransferError};

/// Place an order.
///
/// Stores the order under the session namespace `order`, says what was ordered, and goes to
/// `on_success`. When the order cannot be placed (unknown product, missing parameter), the
/// conversation goes to `on_failure` instead.
#[api_step("/order", namespace = "order", tag = "orders", fallback = on_failure,
           fallback_message = "Sorry, we could not place that order.")]
pub async fn order(
    /// The product code, e.g. `A1`.
    sku: String,
    /// How many to order.
    #[param(default = 1)]
    quantity: u32,
    /// Where the conversation goes once the order is placed.
    on_success: BlockId,
    /// Where the conversation goes when the order cannot be placed.
    on_failure: BlockId,
    catalog: Dep<Catalog>,
) -> Result<Reply, StepError> {
    let product = catalog.get(&sku).ok_or_else(|| {
        StepError::bad_request(format!("there is no product `{sku}`")).with_parameter("sku")
    })?;
    if quantity == 0 {
        return Err(
            StepError::bad_request("quantity must be at least 1").with_parameter("quantity")
        );
    }
    let total = product.price * f64::from(quantity);
    Ok(Reply::new()
        .add_session_data(json!({
            "sku": sku,
            "quantity": quantity,
            "total": total,
        }))
        .add_message(format!(
            "You ordered {quantity} x {} for EUR {total:.2}.",
            product.name
        ))
        .set_next_dialog_state(on_success))
}

/// Tell the user where their order is.
///
/// A GET step: Chatlayer sends `orderId` in the query string.
#[api_step("/order/status", method = GET, rename_all = "camelCase", namespace = "order", tag = "orders")]
pub async fn order_status(order_id: String, shipping: Dep<Shipping>) -> Reply {
    match shipping.status(&order_id) {
        Some(status) => Reply::new()
            .add_session_data(json!({ "id": order_id, "status": status }))
            .add_message(format!("Order {order_id} is {status}.")),
        None => Reply::new().add_message(format!("We found no order {order_id}.")),
    }
}

/// Transfer money.
///
/// The example of Chatlayer's API documentation: the body keys are `amount`, `destination`,
/// `accountType`, `transactionSuccess` and `transactionNoMoney`; the reply stores the limit
/// left under `account` and goes to one of the two blocks.
#[api_step("/transaction", rename_all = "camelCase", tag = "bank")]
pub async fn transaction(
    /// The amount in euros.
    amount: f64,
    /// Who receives the money.
    destination: String,
    /// The account to take it from, e.g. `savings_account`.
    account_type: String,
    transaction_success: BlockId,
    transaction_no_money: BlockId,
    bank: Dep<Bank>,
) -> Result<Reply, StepError> {
    match bank.transfer(&account_type, amount, &destination).await {
        Ok(limit) => Ok(Reply::new()
            .add_session_variable("account", json!({ "limit": limit, "amount": amount }))
            .set_next_dialog_state(transaction_success)),
        Err(TransferError::NoMoney { limit }) => Ok(Reply::new()
            .add_session_variable("account", json!({ "limit": limit, "amount": amount }))
            .add_message("You don't have enough money for that.")
            .set_next_dialog_state(transaction_no_money)),
        Err(TransferError::UnknownAccount) => Err(StepError::bad_request(format!(
            "there is no account type `{account_type}`"
        ))
        .with_parameter("accountType")),
    }
}

/// Send users to the open or the closed block, depending on the time.
///
/// The shop is open from 9:00 to 18:00 UTC. `hour` (0-23) overrides the clock, for testing
/// the flow in Chatlayer's emulator.
#[next_block(tag = "routing")]
pub fn opening_hours(open: BlockId, closed: BlockId, hour: Option<Hour>) -> BlockId {
    let hour = hour.map_or_else(current_utc_hour, Hour::get);
    if (9..18).contains(&hour) {
        open
    } else {
        closed
    }
}

/// An hour of the day, 0 to 23. Read from a number (or its text); another number is refused,
/// and the document says which are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
pub struct Hour(u32);

impl Hour {
    /// The hour, 0 to 23.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Hour {
    type Error = String;

    fn try_from(hour: u32) -> Result<Self, Self::Error> {
        if hour < 24 {
            Ok(Hour(hour))
        } else {
            Err(format!("{hour} is not an hour of the day (0 to 23)"))
        }
    }
}

impl JsonSchema for Hour {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hour".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": 0, "maximum": 23 })
    }
}

fn current_utc_hour() -> u32 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    ((seconds / 3600) % 24) as u32
}

/// Greet the user in their language (a `text` message).
///
/// Map `language` to `internal.preferredLanguage` and `sessionId` to `internal.sessionId` in
/// the API step to use them.
#[api_step("/welcome", tag = "messages")]
pub async fn welcome(context: Context) -> Reply {
    let greeting = match context.language.as_deref() {
        Some("nl") => "Welkom in onze winkel!",
        Some("fr") => "Bienvenue dans notre boutique !",
        _ => "Welcome to our shop!",
    };
    Reply::new().add_message(greeting)
}

/// Show the main menu (a `buttons` message).
#[api_step("/menu", rename_all = "camelCase", tag = "messages")]
pub async fn menu(track_order_block: BlockId) -> Reply {
    Reply::new().add_button_group(
        "How can we help?",
        [
            Button::postback("Track my order", track_order_block),
            Button::web_url("Our terms", "https://shop.example.com/terms"),
            Button::phone_number("Call us", "+3212345678"),
        ],
    )
}

/// Ask which size the user wants (a `quickReplies` message).
///
/// Each reply goes to `size_chosen` and stores the size in the session variable `size`.
#[api_step("/ask-size", rename_all = "camelCase", tag = "messages")]
pub async fn ask_size(size_chosen: BlockId) -> Reply {
    let sizes = ["S", "M", "L"]
        .map(|size| QuickReply::postback(size, Postback::new(&size_chosen).param("size", size)));
    Reply::new().add_quick_replies("Which size would you like?", sizes)
}

/// Show the catalog (a `carousel` message).
#[api_step("/catalog", rename_all = "camelCase", tag = "messages")]
pub async fn catalog(order_block: BlockId, catalog: Dep<Catalog>) -> Reply {
    let cards = catalog.all().into_iter().map(|product| {
        Card::new(product.name)
            .sub_title(format!("EUR {:.2}", product.price))
            .image_url(product.image_url)
            .button(Button::postback(
                "Order",
                Postback::new(&order_block).param("sku", product.sku),
            ))
    });
    Reply::new().add_carousel(cards)
}

/// Which media a product page shows: `image`, `video` or `audio`.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaChoice {
    /// The product photo.
    #[default]
    Image,
    /// The unboxing video.
    Video,
    /// The audio description.
    Audio,
}

/// Show a product picture, video or audio description (a `media` message).
///
/// `kind` is `image` (the default), `video` or `audio`.
#[api_step("/product-media", tag = "messages")]
pub async fn product_media(
    /// The product code, e.g. `A1`.
    sku: String,
    #[param(default = MediaChoice::Image)] kind: MediaChoice,
    catalog: Dep<Catalog>,
) -> Result<Reply, StepError> {
    let product = catalog
        .get(&sku)
        .ok_or_else(|| StepError::bad_request(format!("there is no product `{sku}`")))?;
    let media = match kind {
        MediaChoice::Image => Media::image(product.image_url),
        MediaChoice::Video => Media::video(product.video_url),
        MediaChoice::Audio => Media::audio(format!(
            "https://shop.example.com/audio/{}.mp3",
            product.sku
        )),
    };
    Ok(Reply::new().add_media_message(media.cache(true)))
}

/// List the shops (a message type with no documented shape, sent raw).
#[api_step("/stores", tag = "messages")]
pub async fn stores() -> Reply {
    Reply::new().add_raw_message(json!({
        "type": "list",
        "config": {
            "elements": [
                { "title": "Ghent", "subTitle": "Veldstraat 1" },
                { "title": "Antwerp", "subTitle": "Meir 2" }
            ]
        }
    }))
}

/// The steps are plain functions: unit tests call them directly.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shop_is_open_during_the_day() {
        let (open, closed) = (BlockId::new("open"), BlockId::new("closed"));
        let hour = |hour: u32| Some(Hour::try_from(hour).unwrap());
        assert_eq!(opening_hours(open.clone(), closed.clone(), hour(9)), open);
        assert_eq!(
            opening_hours(open.clone(), closed.clone(), hour(18)),
            closed
        );
        assert!(Hour::try_from(24).is_err());
    }

    #[tokio::test]
    async fn an_order_is_stored_in_the_order_namespace() {
        let reply = order(
            "B2".into(),
            2,
            "ok".into(),
            "ko".into(),
            Dep::new(Catalog::demo()),
        )
        .await
        .unwrap();
        assert_eq!(reply.session_data().unwrap()["total"], 179.0);
        assert_eq!(reply.next_dialog_state(), Some(&BlockId::new("ok")));
    }
}
