//! `GET /openapi.json` from a real `directrix serve`: an OpenAPI 3 document that names
//! every route the server serves, and whose schemas describe the real answers.

mod common;

use common::serve::{SEED, Server, data_dir, token};
use serde_json::{Value, json};

const CLOCK: [&str; 4] = ["--clock", "2021-05-07T08:00:00+07:00", "--speed", "60"];

fn document(server: &Server) -> Value {
    let answer = server.request("GET", "/openapi.json", None, &[], b"");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    serde_json::from_str(&answer.body).expect("the document is JSON")
}

/// Every (method, path) the document has, in its order.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            found.push((method.to_uppercase(), path.clone()));
        }
    }
    found
}

#[test]
fn the_document_is_openapi_3_and_names_every_route_the_server_serves() {
    let data = data_dir("openapi-routes");
    let server = Server::start(&data, &["--load", SEED, "--no-portal"]);
    let doc = document(&server);

    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": doc["components"]["securitySchemes"]["bearer"]["bearerFormat"],
            "description": doc["components"]["securitySchemes"]["bearer"]["description"],
        })
    );
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], json!(["code", "message"]), "{error}");

    // The API as the README lists it: a route missing from the document fails here.
    let mut expected = vec![
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("POST", "/v1/workflows"),
        ("POST", "/v1/instances"),
        ("GET", "/v1/instances/{id}"),
        ("POST", "/v1/instances/{id}/acts"),
        ("POST", "/v1/instances/{id}/follow-ups"),
        ("GET", "/v1/instances/{id}/journal"),
        ("GET", "/v1/instances/{id}/grid"),
        ("GET", "/v1/instances/{id}/timeline"),
        ("GET", "/v1/workflows"),
        ("GET", "/v1/workflows/{hash}"),
        ("GET", "/v1/whoami"),
        ("GET", "/v1/inbox"),
        ("GET", "/v1/events"),
    ];
    expected.sort();
    let mut documented = operations(&doc);
    documented.sort();
    let documented_refs: Vec<(&str, &str)> = documented
        .iter()
        .map(|(method, path)| (method.as_str(), path.as_str()))
        .collect();
    assert_eq!(documented_refs, expected);

    // The router is built only through `routes!`, which takes each route from its
    // documentation: a route added any other way would be served undocumented.
    let api = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host/src/api.rs"),
    )
    .expect("host/src/api.rs");
    assert!(
        !api.contains(".route(") && !api.contains(".nest("),
        "host/src/api.rs adds a route without `routes!`"
    );

    // Each documented operation is served (not the fallback's `not_found`, not 405);
    // every /v1 one asks for the bearer token, and answers 401 without it.
    let not_found = server.request("GET", "/v1/no-such-route", None, &[], b"");
    assert_eq!(
        (not_found.status, not_found.code().as_str()),
        (404, "not_found")
    );
    for (method, path) in &documented {
        let operation = &doc["paths"][path][method.to_lowercase()];
        let concrete = path.replace("{id}", "1").replace("{hash}", "0");
        let answer = server.request(method, &concrete, None, &[], b"");
        assert_ne!(answer.status, 405, "{method} {path} is not served");
        assert_ne!(answer.status, 404, "{method} {path} is not served");
        if path.starts_with("/v1/") {
            assert_eq!(
                operation["security"],
                json!([{ "bearer": [] }]),
                "{method} {path}"
            );
            assert_eq!(answer.status, 401, "{method} {path}: {}", answer.body);
            assert_eq!(answer.code(), "unauthorized");
            let unauthorized = &operation["responses"]["401"]["content"]["application/json"];
            assert_eq!(
                unauthorized["schema"]["$ref"], "#/components/schemas/ErrorBody",
                "{method} {path}"
            );
        } else {
            assert_eq!(answer.status, 200, "{method} {path}: {}", answer.body);
        }
    }

    // Every reference resolves.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference
            .split('"')
            .next()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_else(|| panic!("a reference outside the schemas: {reference}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "unresolved $ref {name}"
        );
    }
}

/// The schema of a documented answer.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let schema = &doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status} is not documented"
    );
    schema
}

/// Checks `value` against `schema` (the parts the document uses: `$ref`, `allOf`,
/// `oneOf`, `type`, `properties`, `required`, `items`), returning what does not fit.
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return mismatches(doc, &doc["components"]["schemas"][name], value, at, out);
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        let fits = branches.iter().any(|branch| {
            let mut found = Vec::new();
            mismatches(doc, branch, value, at, &mut found);
            found.is_empty()
        });
        if !fits {
            out.push(format!("{at}: {value} fits no branch of {schema}"));
        }
        return;
    }
    if let Some(parts) = schema["allOf"].as_array() {
        // The parts together: each property of the value must be in one of them.
        let mut known = std::collections::BTreeSet::new();
        for part in parts {
            let part = match part["$ref"].as_str() {
                Some(r) => {
                    &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]
                }
                None => part,
            };
            if let Some(properties) = part["properties"].as_object() {
                known.extend(properties.keys().cloned());
            }
            let mut found = Vec::new();
            mismatches(doc, part, value, at, &mut found);
            out.extend(
                found
                    .into_iter()
                    .filter(|m| !m.contains("undocumented field")),
            );
        }
        if let Some(object) = value.as_object() {
            for key in object.keys().filter(|key| !known.contains(*key)) {
                out.push(format!("{at}.{key}: undocumented field"));
            }
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return,
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
    if !fits {
        out.push(format!("{at}: {actual}, documented {types:?}"));
        return;
    }
    match value {
        Value::Object(object) => {
            if let Some(properties) = schema["properties"].as_object() {
                for (key, field) in object {
                    match properties.get(key) {
                        Some(field_schema) => {
                            mismatches(doc, field_schema, field, &format!("{at}.{key}"), out)
                        }
                        None => out.push(format!("{at}.{key}: undocumented field")),
                    }
                }
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    out.push(format!("{at}: the required field {name} is missing"));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                mismatches(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn assert_fits(doc: &Value, method: &str, path: &str, status: u16, body: &str) {
    let value: Value = serde_json::from_str(body).expect("a JSON answer");
    let mut found = Vec::new();
    mismatches(
        doc,
        response_schema(doc, method, path, status),
        &value,
        "$",
        &mut found,
    );
    assert!(found.is_empty(), "{method} {path} {status}: {found:#?}");
}

#[test]
fn the_documented_schemas_describe_the_real_answers() {
    let data = data_dir("openapi-bodies");
    let admin = token(&data, None);
    let health = token(&data, Some("health"));
    let server = Server::start(
        &data,
        &[&["--load", SEED, "--no-portal"][..], &CLOCK].concat(),
    );
    let doc = document(&server);

    let source = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(SEED),
    )
    .expect("seed");
    let stored = server.request("POST", "/v1/workflows", Some(&admin), &[], &source);
    assert_fits(&doc, "post", "/v1/workflows", stored.status, &stored.body);
    let invalid = server.request("POST", "/v1/workflows", Some(&admin), &[], b"(nonsense");
    assert_eq!(invalid.status, 422);
    assert_fits(&doc, "post", "/v1/workflows", 422, &invalid.body);

    let hash = server.workflows[0].clone();
    let started = server.post("/v1/instances", &admin, &json!({ "workflow": hash }));
    assert_fits(&doc, "post", "/v1/instances", started.status, &started.body);
    let id = started.json()["id"].as_i64().expect("id");

    let acted = server.request(
        "POST",
        &format!("/v1/instances/{id}/acts"),
        Some(&health),
        &[("idempotency-key", "openapi-1")],
        json!({ "task": "health_readiness", "action": "acknowledge" })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(acted.status, 200, "{}", acted.body);
    assert_fits(&doc, "post", "/v1/instances/{id}/acts", 200, &acted.body);
    let refused = server.post(
        &format!("/v1/instances/{id}/acts"),
        &health,
        &json!({ "task": "health_readiness", "action": "acknowledge" }),
    );
    assert_fits(
        &doc,
        "post",
        "/v1/instances/{id}/acts",
        refused.status,
        &refused.body,
    );

    for (path, concrete, token) in [
        ("/v1/instances/{id}", format!("/v1/instances/{id}"), &health),
        (
            "/v1/instances/{id}/journal",
            format!("/v1/instances/{id}/journal"),
            &health,
        ),
        (
            "/v1/instances/{id}/grid",
            format!("/v1/instances/{id}/grid"),
            &health,
        ),
        ("/v1/inbox", "/v1/inbox".to_owned(), &health),
        ("/v1/whoami", "/v1/whoami".to_owned(), &health),
        ("/v1/whoami", "/v1/whoami".to_owned(), &admin),
        ("/v1/inbox", "/v1/inbox".to_owned(), &admin),
        ("/v1/instances/{id}", "/v1/instances/999".to_owned(), &admin),
        (
            "/v1/instances/{id}",
            format!("/v1/instances/{id}?at=2021-05-07T08:00:00%2B07:00"),
            &health,
        ),
        (
            "/v1/instances/{id}",
            format!("/v1/instances/{id}?at=2021-05-01T08:00:00%2B07:00"),
            &health,
        ),
        (
            "/v1/instances/{id}/grid",
            format!("/v1/instances/{id}/grid?at=2021-05-07T08:00:00%2B07:00"),
            &health,
        ),
        (
            "/v1/instances/{id}/timeline",
            format!("/v1/instances/{id}/timeline"),
            &health,
        ),
        (
            "/v1/instances/{id}/timeline",
            format!("/v1/instances/{id}/timeline?after=1&limit=1"),
            &admin,
        ),
        (
            "/v1/instances/{id}/timeline",
            format!("/v1/instances/{id}/timeline?limit=0"),
            &admin,
        ),
        ("/v1/workflows", "/v1/workflows".to_owned(), &health),
        (
            "/v1/workflows/{hash}",
            format!("/v1/workflows/{hash}"),
            &health,
        ),
        (
            "/v1/workflows/{hash}",
            "/v1/workflows/unknown".to_owned(),
            &admin,
        ),
    ] {
        let answer = server.get(&concrete, token);
        assert_fits(&doc, "get", path, answer.status, &answer.body);
    }
    let healthz = server.request("GET", "/healthz", None, &[], b"");
    assert_fits(&doc, "get", "/healthz", 200, &healthz.body);

    // The act's effects and the event stream's data are the same documented record.
    let (_, event) = common::serve::events(&server.addr, &health, None, 1)
        .pop()
        .expect("an event");
    let mut found = Vec::new();
    mismatches(
        &doc,
        &json!({ "$ref": "#/components/schemas/EffectEvent" }),
        &event,
        "$",
        &mut found,
    );
    assert!(found.is_empty(), "{found:#?}");
}
