//! Rules across the fields of a request body, which derives cannot state, added to the
//! document as JSON Schema: which fields an attendance event of each kind needs, that a
//! correction voids or re-times, what an upload of each purpose may be, that a restriction
//! restricts something, and that ratio bands start at 0 months. Also, the items of each page
//! refer to their component rather than repeat it.

use cubby_domain::FilePurpose;
use serde_json::{Value, json};

/// The schema of component `name`.
fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Adds the cross-field rules to the request bodies' schemas of `doc`.
pub(super) fn refine(doc: &mut Value) {
    let rules = [
        ("EventIn", json!({ "oneOf": event_kinds() })),
        ("CorrectionIn", json!({ "oneOf": corrections() })),
        ("PresignIn", json!({ "oneOf": presigns() })),
        ("RestrictionIn", json!({ "anyOf": restricts() })),
    ];
    for (name, rule) in rules {
        let schema = doc.pointer_mut(&format!("/components/schemas/{name}"));
        if let (Some(Value::Object(schema)), Value::Object(rule)) = (schema, rule) {
            schema.extend(rule);
        }
    }
    pages_refer_to_their_items(doc);
    if let Some(Value::Object(bands)) =
        doc.pointer_mut("/components/schemas/RuleIn/properties/bands")
    {
        let first = json!({ "allOf": [component("AgeBand"), { "properties": { "from_months": { "const": 0 } } }] });
        bands.insert("prefixItems".to_owned(), json!([first]));
    }
}

/// utoipa 5 names a page of `T` `Page_T` but writes `T`'s schema into it whole: its items
/// refer to `T`'s component instead, as every other use of `T` does.
fn pages_refer_to_their_items(doc: &mut Value) {
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    let pages: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|name| {
            let item = name.strip_prefix("Page_")?;
            schemas
                .contains_key(item)
                .then(|| (name.clone(), item.to_owned()))
        })
        .collect();
    for (page, item) in pages {
        if let Some(items) = schemas
            .get_mut(&page)
            .and_then(|page| page.pointer_mut("/properties/items/items"))
        {
            *items = component(&item);
        }
    }
}

/// An event of `kind` needs the `required` ids.
fn kind(kind: &str, required: &[(&str, &str)]) -> Value {
    let mut properties = json!({ "kind": { "const": kind } });
    for (field, id) in required {
        properties[*field] = component(id);
    }
    let names: Vec<&str> = required.iter().map(|(field, _)| *field).collect();
    json!({ "properties": properties, "required": names })
}

/// A check-in names the child; a check-out the child and the contact; a clock-in the room.
fn event_kinds() -> Vec<Value> {
    vec![
        kind("check_in", &[("child_id", "ChildId")]),
        kind(
            "check_out",
            &[("child_id", "ChildId"), ("contact_id", "ContactId")],
        ),
        kind("clock_in", &[("room_id", "RoomId")]),
        kind("clock_out", &[]),
    ]
}

/// A correction either voids (`"void": true`, no `at`) or re-times (`at`).
fn corrections() -> Vec<Value> {
    vec![
        json!({
            "properties": { "void": { "const": true }, "at": { "type": "null" } },
            "required": ["void"],
        }),
        json!({
            "properties": {
                "void": { "const": false },
                "at": { "type": "string", "format": "date-time" },
            },
            "required": ["at"],
        }),
    ]
}

/// An upload of each purpose clients may upload, with its content types and largest size (a
/// child's photo, and nothing else, names its child), or a download.
fn presigns() -> Vec<Value> {
    let mut cases: Vec<Value> = FilePurpose::ALL
        .into_iter()
        .filter(|purpose| purpose.uploadable())
        .map(|purpose| {
            let photo = purpose == FilePurpose::ChildPhoto;
            let mut required = vec!["purpose", "content_type", "size"];
            if photo {
                required.push("child_id");
            }
            json!({
                "properties": {
                    "operation": { "const": "upload" },
                    "purpose": { "const": purpose.as_str() },
                    "content_type": { "enum": purpose.content_types() },
                    "size": { "type": "integer", "minimum": 1, "maximum": purpose.max_bytes() },
                    "child_id": if photo { component("ChildId") } else { json!({ "type": "null" }) },
                },
                "required": required,
            })
        })
        .collect();
    cases.push(json!({
        "properties": { "operation": { "const": "download" }, "file_id": component("FileId") },
        "required": ["file_id"],
    }));
    cases
}

/// A restriction blocks pickup, records, or both.
fn restricts() -> Vec<Value> {
    ["blocks_pickup", "blocks_records"]
        .into_iter()
        .map(|field| json!({ "properties": { field: { "const": true } }, "required": [field] }))
        .collect()
}
