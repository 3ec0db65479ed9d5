//! The shop bot's conversations, run by the emulator against the steps in-process: every
//! step of the quickstart is reached from the bot file (`bot.yaml`), as a user would.

use chatlayer_emulator::{Backend, BotFile, Conversation};
use chatlayer_emulator::{Entry, starter_file};

fn shop() -> Conversation {
    let app = quickstart::app().build().expect("the quickstart builds");
    let bot = BotFile::load(concat!(env!("CARGO_MANIFEST_DIR"), "/bot.yaml")).expect("bot.yaml");
    Conversation::new(bot, Backend::in_process(&app))
}

#[tokio::test]
async fn the_welcome_step_greets_in_the_users_language_and_the_menu_follows() {
    let mut conversation = shop();
    conversation.start().await;
    conversation
        .assert_no_error()
        .assert_said("Welcome to our shop!")
        .assert_said("What would you like to do?")
        .assert_block("menu");
}

#[tokio::test]
async fn an_order_stores_its_total_and_thanks_the_user_with_it() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("Order a product").await;
    conversation.assert_block("ask-sku");
    conversation.say("B2").await;
    conversation.say("2").await;
    conversation
        .assert_no_error()
        .assert_said("You ordered 2 x Blue raincoat for EUR 179.00.")
        .assert_said("Your order of 2 x B2 comes to EUR 179.")
        .assert_variable("order.total", 179)
        .assert_block("menu");
}

#[tokio::test]
async fn an_unknown_product_goes_to_the_orders_fallback_block() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("Order a product").await;
    conversation.say("Z9").await;
    conversation.say("1").await;
    conversation
        .assert_no_error()
        .assert_said("Sorry, we could not place that order.")
        .assert_said("Let's try again from the menu.");
    assert_eq!(conversation.variable("order.total"), None);
    // In-process, the note says why: the server's log is not at hand (it said "see the
    // server's log", naming no parameter).
    let note = conversation.last_turn().iter().any(|entry| {
        matches!(entry, Entry::Note { text } if text.contains(
            "`bad_request` and answered with its fallback block: there is no product `Z9` (parameter `sku`)"
        ))
    });
    assert!(
        note,
        "the transcript says why the step fell back: {:#?}",
        conversation.last_turn()
    );
}

/// A step URL that no step serves is answered with the path probably meant (the hint named
/// start-up lines that an in-process run never printed).
#[tokio::test]
async fn a_wrong_step_url_is_answered_with_the_nearest_path() {
    let app = quickstart::app().build().unwrap();
    let bot = BotFile::parse(
        "blocks:\n  - id: order\n    type: action\n    api: { method: POST, url: /orders }\n",
    )
    .unwrap();
    let mut conversation = Conversation::new(bot, Backend::in_process(&app));
    conversation.start().await;
    let error = format!("{:?}", conversation.last_error().expect("a 404"));
    assert!(error.contains("did you mean `/order`?"), "{error}");
    assert!(!error.contains("start-up"), "{error}");
}

#[tokio::test]
async fn a_card_of_the_catalog_orders_its_product() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.click("See the catalog").await;
    conversation
        .assert_no_error()
        .assert_said("Red sneakers | Blue raincoat | Green scarf");
    conversation.click("Order").await;
    conversation
        .assert_variable("sku", "A1")
        .assert_said("How many A1 would you like?");
    conversation.say("3").await;
    conversation.assert_said("You ordered 3 x Red sneakers for EUR 177.00.");
}

#[tokio::test]
async fn tracking_reads_the_order_number_from_the_query_string() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("Track my order").await;
    conversation.say("ABC-1").await;
    conversation
        .assert_no_error()
        .assert_said("Order ABC-1 is placed.")
        .assert_variable("order.status", "placed");
    let requests: Vec<(&str, &str)> = conversation
        .exchanges()
        .map(|exchange| {
            (
                exchange.request.method.as_str(),
                exchange.request.url.as_str(),
            )
        })
        .collect();
    assert_eq!(
        requests,
        [("POST", "/welcome"), ("GET", "/order/status?orderId=ABC-1")]
    );
}

#[tokio::test]
async fn a_transfer_within_the_limit_is_sent_and_one_over_it_is_refused() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("Transfer money").await;
    conversation.say("400").await;
    conversation
        .assert_said("Sent EUR 400. You can still send EUR 600 today.")
        .assert_variable("account.limit", 600);

    conversation.say("Transfer money").await;
    conversation.say("5000").await;
    conversation
        .assert_no_error()
        .assert_said("You don't have enough money for that.")
        .assert_block("menu");

    conversation.say("Transfer money").await;
    conversation.say("250000").await;
    conversation.assert_said("need a visit to the bank");
    let called = conversation
        .last_turn()
        .iter()
        .any(|entry| matches!(entry, Entry::Exchange(_)));
    assert!(
        !called,
        "the condition block routes before the step is called"
    );
}

#[tokio::test]
async fn the_opening_hours_step_routes_between_the_open_and_closed_blocks() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("Are you open?").await;
    conversation.say("10").await;
    conversation.assert_said("We are open at 10:00.");
    conversation.say("Are you open?").await;
    conversation.say("20").await;
    conversation.assert_said("We are closed at 20:00");
}

#[tokio::test]
async fn the_buttons_of_the_menu_step_lead_to_their_blocks() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("More").await;
    conversation.say("Buttons").await;
    conversation
        .assert_no_error()
        .assert_said("How can we help?");
    conversation.click("Our terms").await;
    assert!(conversation.last_turn().iter().any(
        |entry| matches!(entry, Entry::Note { text } if text == "opens https://shop.example.com/terms")
    ));
    conversation.click("Track my order").await;
    conversation.assert_block("ask-order-id");
}

#[tokio::test]
async fn a_size_quick_reply_stores_the_size() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("More").await;
    conversation.say("Sizes").await;
    conversation.assert_said("Which size would you like?");
    conversation.click("M").await;
    conversation
        .assert_variable("size", "M")
        .assert_said("Size M it is.");
}

#[tokio::test]
async fn the_product_video_and_the_stores_list_are_shown() {
    let mut conversation = shop();
    conversation.start().await;
    conversation.say("More").await;
    conversation.say("Product video").await;
    conversation
        .assert_no_error()
        .assert_said("https://shop.example.com/video/product.mp4");
    conversation.say("More").await;
    conversation.say("Our stores").await;
    let list = conversation.last_turn().iter().any(|entry| {
        matches!(entry, Entry::Bot { message, .. } if message["type"] == "list"
            && message["config"]["elements"][0]["title"] == "Ghent")
    });
    assert!(list, "the raw list message is shown as sent");
}

/// `emulate --init` writes a bot file that runs as is: every step answers 200.
#[tokio::test]
async fn the_starter_file_reaches_every_step_without_an_error() {
    let app = quickstart::app().build().unwrap();
    let bot = BotFile::parse(&starter_file(&app)).expect("the starter file parses");
    for step in app.steps() {
        let mut conversation = Conversation::new(bot.clone(), Backend::in_process(&app));
        conversation.start().await;
        conversation.click(step.name()).await;
        conversation.assert_no_error();
        let statuses: Vec<Option<u16>> = conversation
            .last_turn()
            .iter()
            .filter_map(|entry| match entry {
                Entry::Exchange(exchange) => Some(exchange.status),
                _ => None,
            })
            .collect();
        assert_eq!(statuses, [Some(200)], "step {}", step.name());
    }
}
