//! Reading Chatlayer's `{type, config}` messages: what a user can click, what they read,
//! and the variables filled in.

use serde_json::Value;

use super::session::Session;

/// Something a user can click in a message: a button, a quick reply, or a card's button.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Choice {
    pub(crate) title: String,
    pub(crate) action: ChoiceAction,
}

/// What clicking does.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ChoiceAction {
    /// Writes `params` into the session and goes to `block`.
    Postback {
        block: Option<String>,
        params: Vec<(String, Value)>,
    },
    /// Opens a URL (nothing changes in the conversation).
    OpenUrl(String),
    /// Starts a phone call.
    Call(String),
    /// Shares the user's location (not emulated).
    Location,
}

/// The buttons of a message as written: its buttons, its quick replies, then its cards'
/// buttons, in the order a user sees them.
pub(crate) fn buttons(message: &Value) -> impl Iterator<Item = &Value> {
    fn list(value: &Value) -> impl Iterator<Item = &Value> {
        value.as_array().into_iter().flatten()
    }
    let config = &message["config"];
    list(&config["buttons"])
        .chain(list(&config["quickReplies"]))
        .chain(list(&config["elements"]).flat_map(|card| list(&card["buttons"])))
}

/// The clickable things of a message, in the order a user sees them.
pub(crate) fn choices(message: &Value) -> Vec<Choice> {
    buttons(message).map(choice).collect()
}

fn choice(button: &Value) -> Choice {
    let title = button["title"].as_str().unwrap_or_default().to_owned();
    let payload = &button["payload"];
    let action = match button["type"].as_str().unwrap_or("postback") {
        "web_url" => ChoiceAction::OpenUrl(button["url"].as_str().unwrap_or_default().to_owned()),
        "phone_number" | "call" => ChoiceAction::Call(
            payload
                .as_str()
                .or(button["call"].as_str())
                .unwrap_or_default()
                .to_owned(),
        ),
        "location" => ChoiceAction::Location,
        _ => ChoiceAction::Postback {
            block: payload["nextDialogstateId"].as_str().map(str::to_owned),
            params: payload["params"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|param| {
                    Some((param["key"].as_str()?.to_owned(), param["value"].clone()))
                })
                .collect(),
        },
    };
    Choice { title, action }
}

/// The texts of a message: each of its text variants (Chatlayer picks one to show).
pub(crate) fn texts(message: &Value) -> Vec<String> {
    message["config"]["textMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|text| text["text"].as_str().map(str::to_owned))
        .collect()
}

/// The URLs of a message's media and card pictures.
pub(crate) fn media_urls(message: &Value) -> Vec<String> {
    let config = &message["config"];
    let mut urls: Vec<String> = config["media"]["url"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    urls.extend(
        config["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|card| card["imageUrl"].as_str().map(str::to_owned)),
    );
    urls
}

/// The titles of a carousel's cards.
pub(crate) fn card_titles(message: &Value) -> Vec<String> {
    message["config"]["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|card| card["title"].as_str().map(str::to_owned))
        .collect()
}

/// The message with every `{variable}` in its texts filled from the session; the paths
/// that were not set are added to `unset`. Block ids in postbacks are left alone.
pub(crate) fn interpolate(message: &Value, session: &Session, unset: &mut Vec<String>) -> Value {
    match message {
        Value::String(text) => Value::String(session.interpolate(text, unset)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| interpolate(item, session, unset))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if key == "nextDialogstateId" {
                        value.clone()
                    } else {
                        interpolate(value, session, unset)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn buttons_quick_replies_and_card_buttons_are_choices() {
        let message = json!({ "type": "carousel", "config": { "elements": [
            { "title": "Red", "buttons": [
                { "type": "postback", "title": "Order", "payload": {
                    "nextDialogstateId": "order", "params": [{ "key": "sku", "value": "A1" }] } },
                { "type": "web_url", "title": "Page", "url": "https://shop.example.com" } ] } ] } });
        assert_eq!(
            choices(&message),
            [
                Choice {
                    title: "Order".into(),
                    action: ChoiceAction::Postback {
                        block: Some("order".into()),
                        params: vec![("sku".into(), json!("A1"))]
                    }
                },
                Choice {
                    title: "Page".into(),
                    action: ChoiceAction::OpenUrl("https://shop.example.com".into())
                }
            ]
        );
    }
}
