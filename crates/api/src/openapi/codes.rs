//! The error codes in the document: the `code` of the `Error` schema and of the `FieldError`
//! schema (an item of a 422's `details.fields`) are enumerations of [`ErrorCode::ALL`], with
//! each code's description in `x-enum-descriptions` (in the same order), so the document lists
//! exactly the codes the API answers with.

use cubby_domain::ErrorCode;
use utoipa::ToSchema;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::Object;

use super::schemas::string;

/// A string that is one of the error codes.
pub(crate) fn code() -> Object {
    let descriptions: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|code| {
            format!(
                "{} ({}): {}",
                code.as_str(),
                code.answered_as(),
                code.description()
            )
        })
        .collect();
    string(false)
        .description(Some(
            "A stable, machine-readable code (`room.name_taken`); docs/API.md lists them all",
        ))
        .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
        .extensions(Some(Extensions::from_iter([(
            "x-enum-descriptions",
            descriptions,
        )])))
        .build()
}

/// One refused field of a 422 `validation.failed`, an item of its `details.fields`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FieldError)]
#[expect(dead_code, reason = "a schema only; never built")]
pub(crate) struct FieldErrorBody {
    /// The field, as a dotted path (`age_range.max_months`).
    field: String,
    /// Why it was refused: one of the codes answered as `field`.
    #[schema(schema_with = code)]
    code: String,
    /// What is wrong, for people.
    message: String,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cubby_domain::ErrorCode;
    use serde_json::Value;

    /// docs/API.md, whose table between `<!-- codes -->` and `<!-- /codes -->` lists the codes.
    const API_MD: &str = include_str!("../../../../docs/API.md");

    /// The table docs/API.md must hold: one row per code, in [`ErrorCode::ALL`]'s order.
    fn expected_table() -> String {
        let mut table = String::from("| code | answered as | when |\n|---|---|---|\n");
        for code in ErrorCode::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} |\n",
                code.as_str(),
                code.answered_as(),
                code.description()
            ));
        }
        table
    }

    /// The rows of docs/API.md's table: (code, answered as, when).
    fn documented() -> Vec<(String, String, String)> {
        let start = API_MD
            .find("<!-- codes -->")
            .expect("docs/API.md has <!-- codes -->");
        let end = API_MD
            .find("<!-- /codes -->")
            .expect("docs/API.md has <!-- /codes -->");
        API_MD[start..end]
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line
                    .strip_prefix('|')?
                    .strip_suffix('|')?
                    .split(" | ")
                    .map(str::trim)
                    .collect();
                let code = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
                Some((
                    code.to_owned(),
                    cells.get(1)?.to_string(),
                    cells.get(2)?.to_string(),
                ))
            })
            .collect()
    }

    /// The `enum` of a schema's `code` property in the served document.
    fn served_codes(doc: &Value, schema: &str) -> Vec<String> {
        doc.pointer(&format!(
            "/components/schemas/{schema}/properties/code/enum"
        ))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{schema}.code has no enum"))
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect()
    }

    /// Panics naming what `found` lacks and has beyond the enum's codes.
    fn same_codes(what: &str, found: &[String]) {
        let all: BTreeSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        let found_set: BTreeSet<&str> = found.iter().map(String::as_str).collect();
        let missing: Vec<&&str> = all.difference(&found_set).collect();
        let extra: Vec<&&str> = found_set.difference(&all).collect();
        assert!(
            missing.is_empty() && extra.is_empty() && found.len() == all.len(),
            "{what} and ErrorCode::ALL differ: missing {missing:?}, not codes {extra:?}, \
             {} entries for {} codes",
            found.len(),
            all.len()
        );
    }

    #[test]
    fn the_enum_the_served_document_and_api_md_list_the_same_codes() {
        let doc: Value = serde_json::from_slice(&super::super::json()).unwrap();
        same_codes("the Error schema's code enum", &served_codes(&doc, "Error"));
        same_codes(
            "the FieldError schema's code enum",
            &served_codes(&doc, "FieldError"),
        );

        let rows = documented();
        let codes: Vec<String> = rows.iter().map(|(code, _, _)| code.clone()).collect();
        same_codes("docs/API.md's table of codes", &codes);
        for (code, answered, when) in &rows {
            let known = ErrorCode::ALL.iter().find(|c| c.as_str() == code).unwrap();
            assert!(
                answered == known.answered_as() && when == known.description(),
                "docs/API.md's row of `{code}` is not the enum's; the table should be:\n{}",
                expected_table()
            );
        }
    }

    #[test]
    fn every_code_description_is_in_the_document() {
        let doc: Value = serde_json::from_slice(&super::super::json()).unwrap();
        let descriptions = doc
            .pointer("/components/schemas/Error/properties/code/x-enum-descriptions")
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(descriptions.len(), ErrorCode::ALL.len());
        for (code, description) in ErrorCode::ALL.iter().zip(descriptions) {
            let description = description.as_str().unwrap();
            assert!(description.starts_with(code.as_str()), "{description}");
            assert!(description.ends_with(code.description()), "{description}");
        }
    }
}
