//! The OpenAPI document, step by step: names as on the wire, requiredness as the Rust type
//! says, schemas from schemars, prefixes, operation ids; and the served document and page.

use chatlayer_runtime::openapi::OpenApi;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::schemars::JsonSchema;
use chatlayer_tests::external::{redocly_lint, validate_openapi_text};
use chatlayer_tests::{get_json, post_json, serve};
use serde::Deserialize;
use serde_json::{Value, json};

fn document(steps: impl IntoIterator<Item = &'static chatlayer_runtime::StepDescriptor>) -> Value {
    let app = App::from_steps(steps).build().expect("the app builds");
    serde_json::to_value(app.openapi()).unwrap()
}

/// The JSON body schema of `POST path`.
fn body_schema(document: &Value, path: &str) -> Value {
    document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"].clone()
}

mod renames {
    use super::*;

    #[api_step("/renamed", rename_all = "camelCase")]
    pub fn renamed(
        account_type: String,
        #[param(rename = "dest", description = "Who receives it.")] destination: String,
        transaction_success: BlockId,
    ) -> Reply {
        let _ = (account_type, destination);
        Reply::new().set_next_dialog_state(transaction_success)
    }
}

#[test]
fn parameters_are_named_as_on_the_wire() {
    let document = document([renames::renamed::STEP]);
    let schema = body_schema(&document, "/renamed");
    let names: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names.len(), 3, "{schema}");
    for name in ["accountType", "dest", "transactionSuccess"] {
        assert!(names.contains(&name), "{name} missing in {names:?}");
    }
    assert_eq!(
        schema["properties"]["transactionSuccess"]["x-chatlayer-dialog-state"],
        true
    );
    assert!(schema["properties"]["accountType"]["x-chatlayer-dialog-state"].is_null());
    assert_eq!(
        schema["properties"]["dest"]["description"],
        "Who receives it."
    );
}

mod optional {
    use super::*;

    #[api_step("/optional")]
    pub fn optional(
        needed: u32,
        maybe: Option<String>,
        #[param(default = 3)] with_default: u8,
        later: Option<BlockId>,
    ) -> Reply {
        let _ = (needed, maybe, with_default, later);
        Reply::new()
    }
}

#[test]
fn requiredness_follows_the_rust_type() {
    let document = document([optional::optional::STEP]);
    let schema = body_schema(&document, "/optional");
    assert_eq!(schema["required"], json!(["needed"]));
    assert_eq!(schema["properties"]["needed"]["type"], "integer");
    assert_eq!(
        schema["properties"]["maybe"]["type"],
        json!(["string", "null"])
    );
    let with_default = &schema["properties"]["with_default"];
    assert_eq!(with_default["maximum"], 255);
    assert_eq!(with_default["default"], 3);
    assert_eq!(with_default["description"], "Defaults to `3` when absent.");
    assert_eq!(
        schema["properties"]["later"]["x-chatlayer-dialog-state"],
        true
    );
    assert_eq!(
        document["paths"]["/optional"]["post"]["requestBody"]["required"],
        true
    );
}

#[allow(dead_code)] // the types are here for their schemas
mod nested {
    use super::*;

    /// A postal address.
    #[derive(Deserialize, JsonSchema)]
    pub struct Address {
        /// Street and number.
        pub street: String,
        pub zip: Option<String>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct Delivery {
        pub customer_name: String,
        pub address: Address,
        #[serde(default)]
        pub gift_wrap: bool,
        pub done: BlockId,
    }

    #[api_step("/deliver")]
    pub fn deliver(delivery: Params<Delivery>, extra: Address) -> Reply {
        let _ = (delivery, extra);
        Reply::new()
    }
}

#[test]
fn a_struct_of_parameters_contributes_its_fields_and_nested_structs_are_shared() {
    let document = document([nested::deliver::STEP]);
    let schema = body_schema(&document, "/deliver");
    let properties = schema["properties"].as_object().unwrap();
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["address", "customerName", "done", "extra", "giftWrap"]
    );
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["address", "customerName", "done", "extra"]);
    assert_eq!(properties["done"]["x-chatlayer-dialog-state"], true);
    // The nested struct is one shared schema, referenced twice.
    assert_eq!(
        properties["address"]["$ref"],
        "#/components/schemas/Address"
    );
    assert_eq!(properties["extra"]["$ref"], "#/components/schemas/Address");
    let address = &document["components"]["schemas"]["Address"];
    assert_eq!(address["description"], "A postal address.");
    assert_eq!(address["required"], json!(["street"]));
    assert_eq!(
        address["properties"]["street"]["description"],
        "Street and number."
    );
}

#[allow(dead_code)] // the types are here for their schemas
mod enums {
    use super::*;

    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Size {
        Small,
        Large,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum Payment {
        Card { last_digits: String },
        Voucher { code: String },
    }

    #[api_step("/pay")]
    pub fn pay(size: Size, payment: Option<Payment>) -> Reply {
        let _ = (size, payment);
        Reply::new()
    }
}

#[test]
fn enums_follow_their_serde_representation() {
    let document = document([enums::pay::STEP]);
    let schemas = &document["components"]["schemas"];
    let size = serde_json::to_string(&schemas["Size"]).unwrap();
    assert!(
        size.contains("\"small\"") && size.contains("\"large\""),
        "{size}"
    );
    let payment = serde_json::to_string(&schemas["Payment"]).unwrap();
    for text in ["\"kind\"", "\"card\"", "\"voucher\"", "\"last_digits\""] {
        assert!(payment.contains(text), "{text} missing in {payment}");
    }
    assert_eq!(body_schema(&document, "/pay")["required"], json!(["size"]));
}

mod collisions {
    pub mod first {
        use chatlayer_runtime::prelude::*;

        #[api_step("/a/lookup")]
        pub fn lookup() -> Reply {
            Reply::new()
        }

        #[api_step("/a/lookup_2")]
        pub fn lookup_2() -> Reply {
            Reply::new()
        }
    }

    pub mod second {
        use chatlayer_runtime::prelude::*;

        #[api_step("/b/lookup")]
        pub fn lookup() -> Reply {
            Reply::new()
        }
    }
}

#[test]
fn operation_ids_stay_unique_when_function_names_collide() {
    let document = document([
        collisions::first::lookup::STEP,
        collisions::first::lookup_2::STEP,
        collisions::second::lookup::STEP,
    ]);
    let id = |path: &str| document["paths"][path]["post"]["operationId"].clone();
    assert_eq!(id("/a/lookup"), "lookup");
    assert_eq!(id("/a/lookup_2"), "lookup_2");
    // `lookup_2` is a function's own name, so the second `lookup` gets `lookup_3`.
    assert_eq!(id("/b/lookup"), "lookup_3");
}

mod non_parameters {
    use super::*;

    pub struct Service;

    /// Non-parameters only.
    #[api_step("/plumbing")]
    pub fn plumbing(context: Context, service: Dep<Service>, raw: RawRequest) -> Reply {
        let _ = (context, service, raw);
        Reply::new()
    }

    /// A type with no schema.
    #[derive(Deserialize)]
    pub struct Opaque {
        pub inner: String,
    }

    #[api_step("/opaque")]
    pub fn opaque(thing: Opaque) -> Reply {
        let _ = thing.inner;
        Reply::new()
    }
}

/// `Context` reads six optional parameters, which the body lists (before, it listed none,
/// so a typed client could not send what the step reads); `RawRequest` may read any
/// parameter, so the body allows more than its properties; dependencies add nothing.
#[test]
fn context_lists_its_parameters_and_raw_access_opens_the_body() {
    let app = App::from_steps([non_parameters::plumbing::STEP])
        .provide(non_parameters::Service)
        .build()
        .unwrap();
    let document = serde_json::to_value(app.openapi()).unwrap();
    let operation = &document["paths"]["/plumbing"]["post"];
    assert!(operation.get("parameters").is_none(), "{operation}");
    assert_eq!(operation["summary"], "Non-parameters only.");
    let body = &operation["requestBody"];
    assert_eq!(body["required"], false, "{body}");
    let schema = &body["content"]["application/json"]["schema"];
    let names: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "botId",
            "channel",
            "language",
            "locale",
            "sessionId",
            "version"
        ],
        "{schema}"
    );
    assert!(schema.get("required").is_none(), "all optional: {schema}");
    assert_eq!(schema["additionalProperties"], true, "{schema}");
    assert_eq!(
        schema["properties"]["sessionId"]["description"],
        "The conversation's session id: map it to the variable `internal.sessionId`."
    );
}

#[test]
fn a_type_without_json_schema_is_documented_as_any_value_naming_the_type() {
    let document = document([non_parameters::opaque::STEP]);
    let thing = &body_schema(&document, "/opaque")["properties"]["thing"];
    let description = thing["description"].as_str().unwrap();
    assert!(description.contains("Opaque"), "{description}");
    assert!(description.contains("JsonSchema"), "{description}");
    assert!(thing.get("type").is_none(), "any value: {thing}");
}

mod kinds {
    use super::*;

    /// Look an order up.
    ///
    /// Reads `orderId` from the query string.
    ///
    /// Answers with the status.
    #[api_step("/status", method = GET, rename_all = "camelCase", tag = "orders", namespace = "order")]
    pub fn status(order_id: String, verbose: Option<bool>) -> Reply {
        let _ = (order_id, verbose);
        Reply::new()
    }

    #[next_block(tag = "routing")]
    pub fn route(open: BlockId) -> BlockId {
        open
    }
}

#[test]
fn get_steps_take_query_parameters_and_docs_split_into_summary_and_description() {
    let document = document([kinds::status::STEP, kinds::route::STEP]);
    let operation = &document["paths"]["/status"]["get"];
    assert_eq!(operation["summary"], "Look an order up.");
    assert_eq!(
        operation["description"],
        "Reads `orderId` from the query string.\n\nAnswers with the status."
    );
    assert_eq!(operation["tags"], json!(["orders"]));
    assert_eq!(
        operation["parameters"],
        json!([
            // Required text is never empty: the server reads "" as absent.
            { "name": "orderId", "in": "query", "required": true,
              "schema": { "type": "string", "minLength": 1 } },
            { "name": "verbose", "in": "query", "required": false,
              "schema": { "type": ["boolean", "null"] } },
        ])
    );
    let reply = &operation["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        reply["properties"]["session"]["properties"]["namespace"]["const"],
        "order"
    );
    assert_eq!(
        document["tags"],
        json!([{ "name": "orders" }, { "name": "routing" }])
    );
    let route = &document["paths"]["/route"]["post"];
    assert_eq!(route["x-chatlayer-kind"], "next_block");
    for status in ["200", "400", "408", "413", "500", "503", "504"] {
        assert!(route["responses"].get(status).is_some(), "{status} missing");
    }
}

#[test]
fn prefixes_apply_to_every_path() {
    let app = App::from_steps([kinds::status::STEP, kinds::route::STEP])
        .build()
        .unwrap();
    for prefix in ["/chatlayer", "chatlayer/", "/chatlayer/"] {
        let paths: Vec<String> = app.openapi_at(prefix).paths.into_keys().collect();
        assert_eq!(paths, ["/chatlayer/route", "/chatlayer/status"], "{prefix}");
    }
    let root: Vec<String> = app.openapi_at("/").paths.into_keys().collect();
    assert_eq!(root, ["/route", "/status"]);
}

#[test]
fn info_defaults_to_the_package_and_the_builder_overrides_it() {
    let app = App::from_steps([kinds::route::STEP]).build().unwrap();
    let info = app.openapi().info;
    assert_eq!(
        (info.title.as_str(), info.version.as_str()),
        ("chatlayer-tests", env!("CARGO_PKG_VERSION"))
    );
    let app = App::from_steps([kinds::route::STEP])
        .docs(
            chatlayer_runtime::openapi::ApiDocs::new()
                .title("Shop")
                .version("2.1.0")
                .description("The shop bot's backend."),
        )
        .build()
        .unwrap();
    let info = app.openapi().info;
    assert_eq!(info.title, "Shop");
    assert_eq!(info.version, "2.1.0");
    assert_eq!(info.description.as_deref(), Some("The shop bot's backend."));
}

#[test]
fn the_document_is_deterministic_and_round_trips() {
    let steps = || {
        [
            renames::renamed::STEP,
            nested::deliver::STEP,
            enums::pay::STEP,
            kinds::status::STEP,
        ]
    };
    let first = App::from_steps(steps()).build().unwrap().openapi();
    let second = App::from_steps(steps()).build().unwrap().openapi();
    assert_eq!(first.to_json_pretty(), second.to_json_pretty());
    let read: OpenApi = serde_json::from_str(&first.to_json_pretty()).unwrap();
    assert_eq!(read, first);
}

#[test]
#[cfg_attr(
    not(tool_openapi_spec_validator),
    ignore = "needs openapi-spec-validator; .ci/run installs it"
)]
fn every_document_here_passes_the_openapi_validator() {
    let app = App::from_steps([
        renames::renamed::STEP,
        optional::optional::STEP,
        nested::deliver::STEP,
        enums::pay::STEP,
        collisions::first::lookup::STEP,
        collisions::first::lookup_2::STEP,
        collisions::second::lookup::STEP,
        non_parameters::opaque::STEP,
        kinds::status::STEP,
        kinds::route::STEP,
    ])
    .fallback(chatlayer_runtime::Fallback::to("sorry"))
    .build()
    .unwrap();
    validate_openapi_text(&app.openapi_at("/bot").to_json_pretty());
}

mod booking {
    use super::*;
    use serde::Serialize;

    /// What the booking step stores in the session.
    #[derive(Serialize, JsonSchema)]
    pub struct Booking {
        /// The slot booked.
        pub slot: String,
        /// How many people come.
        pub people: u8,
    }

    /// Book a slot.
    #[api_step("/book", namespace = "booking", session = Booking, tag = "booking",
               deny_unknown_params)]
    pub fn book(
        /// The slot, e.g. `2026-11-23T10:00`.
        slot: String,
        #[param(default = 2)] people: u8,
    ) -> Reply {
        Reply::new().add_session_data(Booking { slot, people })
    }
}

/// The session keys a step writes were prose. The body is documented as JSON, as Chatlayer
/// sends (a second media type for form data broke openapi-python-client's code), and its
/// description says form data and Query rows are read too.
#[test]
#[cfg_attr(
    not(tool_openapi_spec_validator),
    ignore = "needs openapi-spec-validator; .ci/run installs it"
)]
fn other_encodings_and_the_session_data_type_are_documented() {
    let app = App::from_steps([booking::book::STEP, kinds::status::STEP])
        .docs(chatlayer_runtime::openapi::ApiDocs::new().tag("booking", "Booking slots."))
        .build()
        .unwrap();
    let document = serde_json::to_value(app.openapi()).unwrap();
    let body = &document["paths"]["/book"]["post"]["requestBody"];
    let json_schema = &body["content"]["application/json"]["schema"];
    assert_eq!(
        body["content"].as_object().unwrap().len(),
        1,
        "one media type: {body}"
    );
    let description = body["description"].as_str().unwrap();
    assert!(
        description.contains("Query row") && description.contains("form data is read too"),
        "{body}"
    );
    assert_eq!(
        json_schema["properties"]["slot"]["description"], "The slot, e.g. `2026-11-23T10:00`.",
        "the argument's doc comment describes it"
    );

    let reply = &document["paths"]["/book"]["post"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["properties"]["session"]["properties"];
    assert_eq!(reply["namespace"]["const"], "booking");
    assert_eq!(
        reply["data"],
        json!({ "$ref": "#/components/schemas/Booking" })
    );
    let booking = &document["components"]["schemas"]["Booking"];
    assert_eq!(
        booking["properties"]["people"]["description"],
        "How many people come."
    );
    assert!(
        document["paths"]["/book"]["post"]["responses"]["400"]["description"]
            .as_str()
            .unwrap()
            .contains("`unknown_parameter`"),
        "a step that refuses unknown parameters documents it"
    );
    assert_eq!(
        document["tags"],
        json!([{ "name": "booking", "description": "Booking slots." }, { "name": "orders" }])
    );
    validate_openapi_text(&document.to_string());
}

/// Users lint API documents in CI: every document must pass Redocly's recommended rules,
/// open or protected. Before, an open app's document had 11 errors there (no servers, no
/// `security` on open operations).
#[test]
#[cfg_attr(not(tool_redocly), ignore = "needs Redocly's CLI; .ci/run installs it")]
fn documents_pass_redocly_s_recommended_rules() {
    let open = App::from_steps([booking::book::STEP, kinds::status::STEP, kinds::route::STEP])
        .docs(
            chatlayer_runtime::openapi::ApiDocs::new()
                .tag("booking", "Booking slots.")
                .tag("orders", "Orders.")
                .tag("routing", "Routing.")
                .license("MIT"),
        )
        .build()
        .unwrap();
    let document = serde_json::to_value(open.openapi()).unwrap();
    assert_eq!(document["servers"][0]["url"], "/");
    assert_eq!(document["paths"]["/book"]["post"]["security"], json!([]));
    assert_eq!(document["info"]["license"]["identifier"], "MIT");
    redocly_lint(&open.openapi().to_json_pretty(), &[]);

    let protected = App::from_steps([booking::book::STEP, kinds::route::STEP])
        .docs(
            chatlayer_runtime::openapi::ApiDocs::new()
                .tag("booking", "Booking slots.")
                .tag("orders", "Orders.")
                .tag("routing", "Routing.")
                .license("MIT"),
        )
        .security(
            chatlayer_runtime::security::Security::new()
                .auth(chatlayer_runtime::security::Auth::bearer("t"))
                .auth_for(
                    kinds::route::STEP,
                    chatlayer_runtime::security::Auth::none(),
                )
                .signatures(chatlayer_runtime::security::SignatureVerifier::new("s")),
        )
        .build()
        .unwrap();
    redocly_lint(&protected.openapi_at("/chatlayer").to_json_pretty(), &[]);
}

#[tokio::test]
async fn the_served_document_and_page_carry_the_nesting_prefix() {
    let app = App::from_steps([kinds::status::STEP, kinds::route::STEP])
        .build()
        .unwrap();
    let host: axum::Router = axum::Router::new()
        .nest("/chatlayer", app.router())
        .merge(app.mount("/other"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, host).await });
    let client = reqwest::Client::new();
    for prefix in ["/chatlayer", "/other"] {
        let served = get_json(format!("http://{address}{prefix}/openapi.json")).await;
        let paths: Vec<&String> = served["paths"].as_object().unwrap().keys().collect();
        assert_eq!(
            paths,
            [&format!("{prefix}/route"), &format!("{prefix}/status")]
        );
        assert_eq!(
            served,
            serde_json::to_value(app.openapi_at(prefix)).unwrap()
        );
        let page = client
            .get(format!("http://{address}{prefix}/docs"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!("\"{prefix}/openapi.json\"")),
            "{html}"
        );
        assert!(html.contains(&format!("{prefix}/docs/swagger-ui-bundle.js")));
        let script = client
            .get(format!(
                "http://{address}{prefix}/docs/swagger-ui-bundle.js"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(script.status(), 200);
        assert!(script.bytes().await.unwrap().len() > 100_000);
    }
}

#[tokio::test]
async fn the_document_and_page_can_be_switched_off() {
    let app = App::from_steps([kinds::route::STEP])
        .docs(chatlayer_runtime::openapi::ApiDocs::new().serve_page(false))
        .build()
        .unwrap();
    let server = serve(app).await;
    let client = reqwest::Client::new();
    let document = client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), 200);
    let page = client.get(server.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert_eq!(
        page.headers()["content-type"],
        "application/json; charset=utf-8"
    );

    let app = App::from_steps([kinds::route::STEP])
        .docs(chatlayer_runtime::openapi::ApiDocs::new().serve(false))
        .build()
        .unwrap();
    let server = serve(app).await;
    for path in ["/openapi.json", "/docs"] {
        let answer = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
    }
    // The steps still answer.
    let answer = post_json(&server, "/route", &json!({ "open": "o" })).await;
    assert_eq!(answer.json, json!({ "action": { "nextDialogstate": "o" } }));
}

mod clash {
    use super::*;

    #[api_step("/docs")]
    pub fn docs() -> Reply {
        Reply::new()
    }
}

#[test]
fn a_step_at_the_docs_path_is_a_build_error_unless_the_page_is_off() {
    let error = App::from_steps([clash::docs::STEP]).build().unwrap_err();
    let message = error.to_string();
    assert!(message.contains("/docs"), "{message}");
    assert!(message.contains("ApiDocs::serve_page(false)"), "{message}");
    assert!(
        App::from_steps([clash::docs::STEP])
            .docs(chatlayer_runtime::openapi::ApiDocs::new().serve_page(false))
            .build()
            .is_ok()
    );
}

/// The checker the example tests rely on rejects what the document does not describe.
#[test]
fn the_contract_checker_rejects_what_the_document_does_not_describe() {
    use chatlayer_tests::openapi_contract::Contract;

    let app = App::from_steps([
        kinds::status::STEP,
        kinds::route::STEP,
        renames::renamed::STEP,
    ])
    .build()
    .unwrap();
    let contract = Contract::new(&app.openapi());
    let good = json!({ "accountType": "savings", "dest": "Ada", "transactionSuccess": "ok" });
    assert_eq!(contract.check_request("POST", "/renamed", &good), Ok(()));
    let missing = json!({ "accountType": "savings", "dest": "Ada" });
    assert!(
        contract
            .check_request("POST", "/renamed", &missing)
            .is_err()
    );
    assert!(
        contract
            .check_request("GET", "/status", &json!({}))
            .is_err()
    );
    assert_eq!(
        contract.check_request(
            "GET",
            "/status",
            &json!({ "orderId": "1", "verbose": "true" })
        ),
        Ok(())
    );

    let jump = json!({ "action": { "nextDialogstate": "o" } });
    assert_eq!(contract.check_reply("POST", "/route", 200, &jump), Ok(()));
    for wrong in [
        json!({ "action": {} }),
        json!({ "action": { "nextDialogstate": 7 } }),
        json!({ "next": "o" }),
        json!({ "session": { "namespace": "x", "data": {} } }),
    ] {
        assert!(
            contract.check_reply("POST", "/route", 200, &wrong).is_err(),
            "{wrong}"
        );
    }
    let text = json!({ "messages": [ { "type": "text", "config": { "textMessages": [ { "text": "hi" } ] } } ] });
    assert_eq!(contract.check_reply("POST", "/renamed", 200, &text), Ok(()));
    let broken = json!({ "messages": [ { "type": "text", "config": { "textMessages": "hi" } } ] });
    assert!(
        contract
            .check_reply("POST", "/renamed", 200, &broken)
            .is_err()
    );
    let other_namespace = json!({ "session": { "namespace": "cart", "data": {} } });
    assert!(
        contract
            .check_reply("GET", "/status", 200, &other_namespace)
            .is_err()
    );
    let error = json!({ "error": { "code": "missing_parameter", "message": "m" } });
    assert_eq!(contract.check_reply("POST", "/route", 400, &error), Ok(()));
    assert!(
        contract
            .check_reply("POST", "/route", 400, &json!({ "error": "m" }))
            .is_err()
    );
    assert!(contract.check_reply("POST", "/route", 418, &error).is_err());
}

/// With a fallback block, failures of the step answer 200; refusals before it runs (slow or
/// oversized body, overload) still answer their error, and the document says which is which.
#[test]
fn only_failures_that_fall_back_say_so_in_the_document() {
    let says_fallback = |app: &App, status: &str| {
        let document = serde_json::to_value(app.openapi()).unwrap();
        document["paths"]["/route"]["post"]["responses"][status]["description"]
            .as_str()
            .unwrap()
            .contains("With the fallback block")
    };
    let app = App::from_steps([kinds::route::STEP])
        .fallback(chatlayer_runtime::Fallback::to("sorry"))
        .build()
        .unwrap();
    for status in ["400", "500", "504"] {
        assert!(says_fallback(&app, status), "{status}");
    }
    for status in ["408", "413", "503"] {
        assert!(!says_fallback(&app, status), "{status} never falls back");
    }
    // When request errors go to Chatlayer's error log, only `bad_request` of the 400s falls back.
    let strict = App::from_steps([kinds::route::STEP])
        .fallback(chatlayer_runtime::Fallback::to("sorry").request_errors(false))
        .build()
        .unwrap();
    let document = serde_json::to_value(strict.openapi()).unwrap();
    let text = document["paths"]["/route"]["post"]["responses"]["400"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("With the fallback block, `bad_request` is answered with 200"),
        "{text}"
    );
}
