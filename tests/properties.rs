//! Property tests of parameter extraction: whatever bytes or JSON arrive, under whatever
//! content type, the framework never panics and always answers JSON with a known status.

use std::sync::OnceLock;

use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::TestClient;
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)] // read for its shape only
struct Address {
    city: String,
    zip: Option<u32>,
    lines: Vec<String>,
}

/// Reads many kinds of parameters at once.
#[api_step("/everything")]
async fn everything(
    amount: f64,
    count: Option<u32>,
    name: String,
    flag: Option<bool>,
    tags: Option<Vec<String>>,
    address: Option<Address>,
    next: Option<BlockId>,
    context: Context,
) -> Reply {
    let _ = (amount, count, name, flag, tags, address, context);
    match next {
        Some(block) => Reply::new().set_next_dialog_state(block),
        None => Reply::new(),
    }
}

/// One runtime and one app for all cases: building them per case would dominate the run.
fn harness() -> &'static (tokio::runtime::Runtime, TestClient) {
    static HARNESS: OnceLock<(tokio::runtime::Runtime, TestClient)> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let app = App::from_steps([everything::STEP])
            .limits(chatlayer_runtime::Limits::new().body(64 * 1024))
            .build()
            .unwrap();
        (runtime, TestClient::new(&app))
    })
}

/// Sends `body` with `content_type` and `query`, and checks the answer is JSON with a status
/// the framework documents.
fn check(body: Vec<u8>, content_type: Option<&str>, query: &str) -> Result<(), TestCaseError> {
    let (runtime, client) = harness();
    let mut request = axum::http::Request::post(format!("/everything{query}"));
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let request = request.body(axum::body::Body::from(body)).unwrap();
    let response = runtime.block_on(client.send(request));
    prop_assert!(
        [200, 400, 413, 415].contains(&response.status()),
        "status {}",
        response.status()
    );
    let json: serde_json::Value = serde_json::from_slice(response.body())
        .map_err(|error| TestCaseError::fail(format!("not JSON: {error}")))?;
    if response.status() == 200 {
        prop_assert!(json.is_object());
    } else {
        prop_assert!(json["error"]["code"].is_string(), "{json}");
    }
    Ok(())
}

fn content_types() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/x-www-form-urlencoded")),
        Just(Some("text/plain; charset=utf-8")),
        Just(Some("multipart/form-data; boundary=x")),
    ]
}

/// Any JSON value, nested a few levels.
fn json_values() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|number| serde_json::json!(number)),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("amount".to_owned()),
                    Just("count".to_owned()),
                    Just("name".to_owned()),
                    Just("address".to_owned()),
                    Just("city".to_owned()),
                    Just("next".to_owned()),
                    ".{0,6}".prop_map(String::from),
                ],
                inner,
                0..6
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A JSON object keyed by the step's parameter names, with arbitrary values.
fn parameter_objects() -> impl Strategy<Value = serde_json::Value> {
    prop::collection::btree_map(
        prop_oneof![
            Just("amount"),
            Just("count"),
            Just("name"),
            Just("flag"),
            Just("tags"),
            Just("address"),
            Just("next"),
            Just("sessionId"),
            Just("language"),
        ],
        json_values(),
        0..9,
    )
    .prop_map(|map| {
        serde_json::Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_always_get_a_json_answer(
        body in prop::collection::vec(any::<u8>(), 0..512),
        content_type in content_types(),
        query in prop_oneof![Just(String::new()), "[?][a-z=&%0-9]{0,24}"],
    ) {
        check(body, content_type, &query)?;
    }

    #[test]
    fn arbitrary_json_always_gets_a_json_answer(
        value in json_values(),
        content_type in content_types(),
    ) {
        check(serde_json::to_vec(&value).unwrap(), content_type, "")?;
    }

    #[test]
    fn arbitrary_parameter_values_always_get_a_json_answer(value in parameter_objects()) {
        check(serde_json::to_vec(&value).unwrap(), Some("application/json"), "")?;
    }

    #[test]
    fn arbitrary_form_bodies_always_get_a_json_answer(
        pairs in prop::collection::vec(("[a-z]{0,8}", ".{0,12}"), 0..8),
    ) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        check(body.into_bytes(), Some("application/x-www-form-urlencoded"), "")?;
    }
}
