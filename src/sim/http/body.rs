//! Request bodies: the parameters a body carries, whatever its encoding.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;

use super::query::Params;

/// Why a request body is unreadable; each API answers it in its own envelope.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    /// Larger than the simulator reads.
    #[error("request body too large")]
    TooLarge,
    /// Not JSON, though it claims or looks to be.
    #[error("malformed JSON body")]
    MalformedJson,
    /// JSON, but not an object.
    #[error("expected a JSON object")]
    NotAnObject,
    /// A JSON field that is an object or an array.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A multipart body that does not parse.
    #[error("malformed multipart body")]
    MalformedMultipart,
}

/// Parameters in a request body: JSON, multipart, or urlencoded (also with no `Content-Type`
/// at all, as python-requests sends a `str` body).
pub(crate) async fn body_params(headers: &HeaderMap, body: &Bytes) -> Result<Params, BodyError> {
    if body.is_empty() {
        return Ok(Params::default());
    }
    let raw_content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Lowercase for matching only: a multipart boundary is case-sensitive.
    let content_type = raw_content_type.to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return multipart_params(raw_content_type, body.clone()).await;
    }
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.starts_with("application/json")
        || (looks_json && !content_type.contains("form"))
    {
        return json_params(body);
    }
    Ok(Params::from_form(body))
}

fn json_params(body: &[u8]) -> Result<Params, BodyError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| BodyError::MalformedJson)?;
    let object = value.as_object().ok_or(BodyError::NotAnObject)?;
    let mut params = Params::default();
    for (key, value) in object {
        match value {
            serde_json::Value::String(s) => params.push(key.as_str(), s.as_str()),
            serde_json::Value::Number(n) => params.push(key.as_str(), n.to_string()),
            serde_json::Value::Bool(b) => params.push(key.as_str(), b.to_string()),
            serde_json::Value::Null => {}
            _ => return Err(BodyError::InvalidArgument(key.clone())),
        }
    }
    Ok(params)
}

async fn multipart_params(content_type: &str, body: Bytes) -> Result<Params, BodyError> {
    let malformed = || BodyError::MalformedMultipart;
    let boundary = multer::parse_boundary(content_type).map_err(|_| malformed())?;
    let stream = Body::from(body).into_data_stream();
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut params = Params::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| malformed())? {
        let name = field.name().unwrap_or_default().to_owned();
        let value = field.text().await.map_err(|_| malformed())?;
        params.push(name, value);
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_read_as_json_multipart_or_form_whatever_the_content_type() {
        let mut headers = HeaderMap::new();
        let form = Bytes::from_static(b"username=demo@een.com&password=bettercloud");
        let p = body_params(&headers, &form).await.unwrap();
        assert_eq!(p.get(&["username"]), Some("demo@een.com"));

        let json = Bytes::from_static(br#"{"token": "a+b/=", "n": 3}"#);
        let p = body_params(&headers, &json).await.unwrap();
        assert_eq!(p.get(&["token"]), Some("a+b/="));
        assert_eq!(p.get(&["n"]), Some("3"));

        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        let err = body_params(&headers, &Bytes::from_static(b"[1]")).await;
        assert_eq!(err.unwrap_err(), BodyError::NotAnObject);
        let err = body_params(&headers, &Bytes::from_static(b"{\"a\": {}}")).await;
        assert_eq!(err.unwrap_err(), BodyError::InvalidArgument("a".to_owned()));
        let err = body_params(&headers, &Bytes::from_static(b"{\"a\": ")).await;
        assert_eq!(err.unwrap_err(), BodyError::MalformedJson);

        headers.insert(
            CONTENT_TYPE,
            "multipart/form-data; boundary=XyZ".parse().unwrap(),
        );
        let multipart = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\ndemo@een.com\r\n--XyZ--\r\n",
        );
        let p = body_params(&headers, &multipart).await.unwrap();
        assert_eq!(p.get(&["username"]), Some("demo@een.com"));
        let err = body_params(&headers, &Bytes::from_static(b"garbage")).await;
        assert_eq!(err.unwrap_err(), BodyError::MalformedMultipart);
    }
}

/// Property tests (issue 13): a body of any content and `Content-Type` is parameters or a
/// [`BodyError`], never a panic; JSON objects and multipart forms are read back.
#[cfg(test)]
mod fuzz {
    use axum::http::HeaderValue;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::fuzzing::{config, json, mutated_bytes, text};

    fn read(content_type: Option<&str>, body: Vec<u8>) -> Result<Params, BodyError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(CONTENT_TYPE, value);
        }
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(body_params(&headers, &Bytes::from(body)))
    }

    fn content_type() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            Just("application/json".to_owned()),
            Just("application/x-www-form-urlencoded".to_owned()),
            Just("multipart/form-data; boundary=XyZ".to_owned()),
            Just("multipart/form-data".to_owned()),
            text(),
        ])
    }

    fn multipart(fields: &[(String, String)]) -> Vec<u8> {
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str("--XyZ--\r\n");
        body.into_bytes()
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_body_is_params_or_a_body_error(
            content_type in content_type(),
            body in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..64),
                json().prop_map(|v| v.to_string().into_bytes()),
                mutated_bytes(Just(multipart(&[("username".into(), "demo".into())]))),
            ],
        ) {
            let _ = read(content_type.as_deref(), body);
        }

        #[test]
        fn json_objects_of_scalars_are_their_params(
            fields in prop::collection::btree_map(text(), text(), 0..6),
            n in any::<i64>(),
        ) {
            let mut object = serde_json::Map::new();
            for (k, v) in &fields {
                object.insert(k.clone(), json!(v));
            }
            let long = "n".repeat(41);
            object.insert(long.clone(), json!(n));
            let body = serde_json::to_vec(&object).unwrap();
            let params = read(Some("application/json"), body).unwrap();
            for (k, v) in &fields {
                prop_assert_eq!(params.get(&[k.as_str()]), Some(v.as_str()));
            }
            let n = n.to_string();
            prop_assert_eq!(params.get(&[long.as_str()]), Some(n.as_str()));
        }

        #[test]
        fn json_other_than_an_object_of_scalars_is_a_body_error(value in json()) {
            let nested = value.as_object().is_some_and(|o| o.values().any(|v| v.is_array() || v.is_object()));
            match read(Some("application/json"), value.to_string().into_bytes()) {
                Ok(_) => prop_assert!(value.is_object() && !nested),
                Err(BodyError::NotAnObject) => prop_assert!(!value.is_object()),
                Err(BodyError::InvalidArgument(_)) => prop_assert!(nested),
                Err(other) => prop_assert!(false, "{value}: {other:?}"),
            }
        }

        #[test]
        fn multipart_fields_are_their_params(
            fields in prop::collection::vec(("[a-z]{1,10}", "[ -~]{0,20}"), 1..4)
        ) {
            let params = read(Some("multipart/form-data; boundary=XyZ"), multipart(&fields));
            let params = params.unwrap();
            let (name, value) = fields.last().unwrap();
            prop_assert_eq!(params.get(&[name.as_str()]), Some(value.as_str()));
        }
    }
}
