//! Golden tests: every JSON example of Chatlayer's API-step documentation (the documented
//! request, the response schema's example, replies of real backends, each message shape;
//! see docs/chatlayer-api-step.md for the format as we read it) is produced by the framework
//! exactly, and read back without loss.

use chatlayer_runtime::StepError;
use chatlayer_runtime::message::Message;
use chatlayer_runtime::prelude::*;
use chatlayer_tests::{post_json, send, serve};
use serde_json::Value;

/// Serializes a reply the way a step answers it.
fn wire(reply: &Reply) -> Value {
    reply.to_json(None).expect("a valid reply")
}

/// Reads `json` as a reply and writes it back: nothing may be lost.
fn assert_round_trip(json: Value) {
    let reply: Reply = serde_json::from_value(json.clone()).expect("a readable reply");
    assert_eq!(wire(&reply), json);
}

// The documented money-transfer request, answered as the docs' own Express example handler
// answers it.

/// The handler of Chatlayer's documentation, written with the framework.
#[api_step("/contract/transaction", rename_all = "camelCase")]
async fn contract_transaction(
    amount: f64,
    destination: String,
    account_type: String,
    transaction_success: BlockId,
    transaction_no_money: BlockId,
    test: u32,
) -> Reply {
    assert_eq!(
        (destination.as_str(), account_type.as_str(), test),
        ("Elon Musk", "savings_account", 5)
    );
    let limit = 1000;
    if amount > f64::from(limit) {
        return Reply::new().set_next_dialog_state(transaction_no_money);
    }
    Reply::new()
        .add_session_variable(
            "account",
            json!({ "limit": limit, "amount": amount as i64 }),
        )
        .set_next_dialog_state(transaction_success)
}

#[tokio::test]
async fn the_documented_request_gets_the_documented_reply() {
    let server = serve(
        App::from_steps([contract_transaction::STEP])
            .build()
            .unwrap(),
    )
    .await;
    // The documented request, byte for byte; Chatlayer may send it without a Content-Type.
    let body = r#"{
  "amount": 500,
  "destination": "Elon Musk",
  "accountType": "savings_account",
  "transactionSuccess": "successful transaction",
  "transactionNoMoney": "unsuccessful transaction",
  "test": 5
}"#;
    for content_type in [None, Some("application/json;")] {
        let answer = send(
            &server,
            reqwest::Method::POST,
            "/contract/transaction",
            content_type,
            body,
        )
        .await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.json,
            json!({
                "action": { "nextDialogstate": "successful transaction" },
                "session": { "namespace": "account", "data": { "limit": 1000, "amount": 500 } }
            })
        );
    }
}

// The response body schema's example.

#[test]
fn the_response_schema_example() {
    let documented = json!({
      "session": {
        "namespace": "myNamespace",
        "data": { "variable": "test123" }
      },
      "messages": [
        { "type": "text", "config": { "textMessages": [ { "text": "random message 1" } ] } }
      ],
      "action": {
        "nextDialogstate": "dialogstate-123-abc"
      }
    });
    let built = Reply::new()
        .add_session_variable("myNamespace", json!({ "variable": "test123" }))
        .add_message("random message 1")
        .set_next_dialog_state("dialogstate-123-abc");
    assert_eq!(wire(&built), documented);
    assert_round_trip(documented);
}

#[test]
fn all_fields_are_optional_and_absent_ones_are_omitted() {
    assert_eq!(wire(&Reply::new()), json!({}));
    assert_eq!(
        wire(&Reply::new().set_next_dialog_state("x")),
        json!({ "action": { "nextDialogstate": "x" } })
    );
    assert_round_trip(json!({}));
}

#[test]
fn a_top_level_next_dialogstate_is_read_too() {
    // The docs conflict here: the overview pages put nextDialogstate at the top level.
    let reply: Reply = serde_json::from_value(json!({ "nextDialogstate": "abc" })).unwrap();
    assert_eq!(reply.next_dialog_state(), Some(&BlockId::new("abc")));
    // ... but the framework only ever emits the canonical `action.nextDialogstate`.
    assert_eq!(
        wire(&reply),
        json!({ "action": { "nextDialogstate": "abc" } })
    );
}

// The replies of real backends.

/// Faktion's connector: block ids and the target namespace arrive as query parameters; any
/// failure answers 200 with a jump to `notFoundDS`.
#[api_step("/contract/broadcast", method = GET, fallback = not_found_ds)]
async fn faktion_broadcast(
    id: u32,
    #[param(rename = "varKey")] var_key: String,
    #[param(rename = "successfulDS")] successful_ds: BlockId,
    #[param(rename = "notFoundDS")] not_found_ds: BlockId,
) -> Result<Reply, StepError> {
    let _ = not_found_ds;
    if id != 1 {
        return Err(StepError::bad_request("no such broadcast"));
    }
    Ok(Reply::new()
        .set_next_dialog_state(successful_ds)
        .add_session_variable(var_key, json!({ "id": 1, "name": "Morning show" })))
}

#[tokio::test]
async fn faktion_connector_replies() {
    let server = serve(App::from_steps([faktion_broadcast::STEP]).build().unwrap()).await;
    let found = send(
        &server,
        reqwest::Method::GET,
        "/contract/broadcast?id=1&varKey=show&successfulDS=ds-ok&notFoundDS=ds-missing",
        None,
        "",
    )
    .await;
    assert_eq!(
        found.json,
        json!({ "action": { "nextDialogstate": "ds-ok" },
                "session": { "namespace": "show", "data": { "id": 1, "name": "Morning show" } } })
    );
    let missing = send(
        &server,
        reqwest::Method::GET,
        "/contract/broadcast?id=2&varKey=show&successfulDS=ds-ok&notFoundDS=ds-missing",
        None,
        "",
    )
    .await;
    assert_eq!(missing.status, 200);
    assert_eq!(
        missing.json,
        json!({ "action": { "nextDialogstate": "ds-missing" } })
    );
}

#[test]
fn csharp_backend_reply_is_read_and_written_without_the_empty_messages() {
    let documented = json!({
        "session": { "namespace": "namespace", "data": { "variable": "<department>" } },
        "messages": [],
        "action": { "nextDialogstate": "9d936d74-8b2d-49bd-819f-c59823ec9b2a" }
    });
    let reply: Reply = serde_json::from_value(documented.clone()).unwrap();
    assert_eq!(reply.session_namespace(), Some("namespace"));
    let mut expected = documented;
    expected.as_object_mut().unwrap().remove("messages");
    assert_eq!(wire(&reply), expected);
}

/// The Node demo: `POST /place-order` with `product`, `quantity`, `nextDialog`.
#[api_step("/place-order", rename_all = "camelCase")]
async fn place_order(product: String, quantity: u32, next_dialog: BlockId) -> Reply {
    let price = if product == "coffee" {
        42.17 / f64::from(quantity)
    } else {
        0.0
    };
    Reply::new()
        .set_next_dialog_state(next_dialog)
        .add_session_variable(
            "order",
            json!({ "price": format!("{:.2}", price * f64::from(quantity)) }),
        )
}

#[tokio::test]
async fn node_demo_reply() {
    let server = serve(App::from_steps([place_order::STEP]).build().unwrap()).await;
    let answer = post_json(
        &server,
        "/place-order",
        &json!({ "product": "coffee", "quantity": 1, "nextDialog": "<body.nextDialog>" }),
    )
    .await;
    assert_eq!(
        answer.json,
        json!({ "action": { "nextDialogstate": "<body.nextDialog>" },
                "session": { "namespace": "order", "data": { "price": "42.17" } } })
    );
}

// Each message shape of the `{ "type": ..., "config": ... }` format.

fn assert_message(built: Message, documented: Value) {
    assert_eq!(serde_json::to_value(&built).unwrap(), documented);
    let read: Message = serde_json::from_value(documented.clone()).unwrap();
    assert!(
        !matches!(read, Message::Raw(_)),
        "{documented} was read as raw JSON"
    );
    assert_eq!(read, built);
}

#[test]
fn text_message() {
    assert_message(
        Message::from(chatlayer_runtime::message::Text::variants([
            "1st random text",
            "2nd random text",
        ])),
        json!({ "type": "text",
                "config": { "textMessages": [ { "text": "1st random text" }, { "text": "2nd random text" } ] } }),
    );
}

#[test]
fn buttons_message() {
    let mut group = chatlayer_runtime::message::ButtonGroup::new(
        "1st random text",
        [
            Button::postback(
                "gottotest",
                Postback::new("eedeb3df-ebb1-46c0-836f-b85b784c42b1")
                    .param("location", "meulebeke"),
            ),
            Button::web_url("URL button", "https://www.google.com"),
            Button::phone_number("tel", "193248u9"),
        ],
    );
    group.texts.push("2nd random text".to_owned());
    assert_message(
        group.into(),
        json!({ "type": "buttons",
          "config": {
            "textMessages": [ { "text": "1st random text" }, { "text": "2nd random text" } ],
            "buttons": [
              { "type": "postback", "title": "gottotest",
                "payload": { "nextDialogstateId": "eedeb3df-ebb1-46c0-836f-b85b784c42b1",
                             "params": [ { "key": "location", "value": "meulebeke" } ] } },
              { "type": "web_url", "title": "URL button", "url": "https://www.google.com" },
              { "type": "phone_number", "title": "tel", "payload": "193248u9" }
            ] } }),
    );
}

#[test]
fn quick_replies_message() {
    let mut replies = chatlayer_runtime::message::QuickReplies::new(
        "1st random text",
        [QuickReply::postback(
            "go to button",
            BlockId::new("1f51bo05-0510-11e03-0030-1f0d0040sd"),
        )
        .image_url("https://www.faviconurl.jpg")],
    );
    replies.texts.push("2nd random text".to_owned());
    assert_message(
        replies.into(),
        json!({ "type": "quickReplies",
          "config": {
            "textMessages": [ { "text": "1st random text" }, { "text": "2nd random text" } ],
            "quickReplies": [
              { "type": "postback", "title": "go to button",
                "imageUrl": "https://www.faviconurl.jpg",
                "payload": { "nextDialogstateId": "1f51bo05-0510-11e03-0030-1f0d0040sd" } }
            ] } }),
    );
}

#[test]
fn carousel_message() {
    let card = Card::new("title")
        .sub_title("subtitle")
        .image_url("https://www.chatlayer.ai/image.jpg")
        .web_url("https://www.chatlayer.ai")
        .button(Button::web_url(
            "url button test",
            "https://www.chatlayer.ai",
        ));
    assert_message(
        chatlayer_runtime::message::Carousel::new([card]).into(),
        json!({ "type": "carousel",
          "config": { "elements": [
            { "title": "title", "subTitle": "subtitle",
              "imageUrl": "https://www.chatlayer.ai/image.jpg",
              "webUrl": "https://www.chatlayer.ai",
              "buttons": [ { "type": "web_url", "title": "url button test", "url": "https://www.chatlayer.ai" } ] }
          ] } }),
    );
}

#[test]
fn media_messages() {
    assert_message(
        Media::image("https://www.chatlayer.ai/image.jpg").into(),
        json!({ "type": "media",
                "config": { "media": { "type": "image", "url": "https://www.chatlayer.ai/image.jpg" } } }),
    );
    for (media, kind) in [
        (Media::video("https://x.test/v.mp4"), "video"),
        (Media::audio("https://x.test/a.mp3").cache(true), "audio"),
    ] {
        let cache = media.is_cache;
        let mut documented =
            json!({ "type": "media", "config": { "media": { "type": kind, "url": media.url } } });
        if cache.is_some() {
            documented["config"]["media"]["isCache"] = json!(true);
        }
        assert_message(media.into(), documented);
    }
}

#[test]
fn an_undocumented_message_type_passes_through_raw() {
    let list =
        json!({ "type": "list", "config": { "size": "LARGE", "elements": [ { "title": "a" } ] } });
    let reply = Reply::new().add_raw_message(list.clone());
    assert_eq!(wire(&reply), json!({ "messages": [list.clone()] }));
    assert_eq!(
        serde_json::from_value::<Message>(list.clone()).unwrap(),
        Message::Raw(list)
    );
}

#[test]
fn the_builder_mirrors_the_code_editor() {
    // The same reply a Code-editor script builds with ChatlayerResponseBuilder.
    let reply = Reply::new()
        .add_session_variable("user", json!({ "name": "Joachim" }))
        .add_message("Hello")
        .add_button_group("Pick one", [Button::postback("A", BlockId::new("a"))])
        .add_quick_replies("Or", [QuickReply::location("Share location")])
        .add_carousel([Card::new("card")])
        .add_media_message(Media::audio("https://x.test/a.mp3"))
        .set_next_dialog_state("next");
    let json = wire(&reply);
    let types: Vec<&str> = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["text", "buttons", "quickReplies", "carousel", "media"]
    );
    assert_eq!(
        json["messages"][2]["config"]["quickReplies"][0],
        json!({ "type": "location", "title": "Share location" })
    );
    assert_round_trip(json);
}
