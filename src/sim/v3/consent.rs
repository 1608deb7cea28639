//! The login-and-consent page of `/oauth2/authorize` (V3-SIM-10): a plain HTML form a person
//! or a browser test fills in. Everything it echoes is escaped.

use std::fmt::Write;

/// The OAuth parameters the page carries through its form, as received.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthorizeParams {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) response_type: String,
    pub(crate) scope: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
}

/// `&`, `<`, `>`, `"` and `'` as entities.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hidden(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        let _ = writeln!(
            out,
            r#"      <input type="hidden" name="{name}" value="{}">"#,
            escape(value)
        );
    }
}

/// The page: who asks, the demo user's login, Allow and Deny. `error` is shown above the
/// form (a wrong password); `username` is kept in its field.
pub(crate) fn page(params: &AuthorizeParams, error: Option<&str>, username: &str) -> String {
    let mut fields = String::new();
    hidden(&mut fields, "client_id", Some(&params.client_id));
    hidden(&mut fields, "redirect_uri", Some(&params.redirect_uri));
    hidden(&mut fields, "response_type", Some(&params.response_type));
    hidden(&mut fields, "scope", params.scope.as_deref());
    hidden(&mut fields, "state", params.state.as_deref());
    hidden(
        &mut fields,
        "code_challenge",
        params.code_challenge.as_deref(),
    );
    hidden(
        &mut fields,
        "code_challenge_method",
        params.code_challenge_method.as_deref(),
    );
    let error = error
        .map(|e| format!("    <p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in - Eagle Eye Networks (simulator)</title>
  <style>
    body {{ font-family: sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }}
    label {{ display: block; margin: .8rem 0 .2rem; }}
    input[type=text], input[type=password] {{ width: 100%; padding: .4rem; }}
    .error {{ color: #b00020; }}
    button {{ margin: 1rem .5rem 0 0; padding: .5rem 1.2rem; }}
  </style>
</head>
<body>
  <h1>Eagle Eye Networks</h1>
  <p>The application <strong id="client">{client}</strong> asks for access to your account
    (<code>{scope}</code>). You will be sent back to <code id="redirect">{redirect}</code>.</p>
{error}  <form method="post" action="/oauth2/authorize">
{fields}    <label for="username">Email</label>
    <input type="text" id="username" name="username" autocomplete="username" value="{username}">
    <label for="password">Password</label>
    <input type="password" id="password" name="password" autocomplete="current-password">
    <button type="submit" id="allow" name="action" value="allow">Allow</button>
    <button type="submit" id="deny" name="action" value="deny">Deny</button>
  </form>
</body>
</html>
"#,
        client = escape(&params.client_id),
        scope = escape(params.scope.as_deref().unwrap_or("vms.all")),
        redirect = escape(&params.redirect_uri),
        username = escape(username),
    )
}

/// A page for a request that cannot be sent back to its client (V3-SIM-10: never a
/// redirect to an unverified URI).
pub(crate) fn error_page(message: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorization error - Eagle Eye Networks (simulator)</title></head>
<body>
  <h1>Authorization error</h1>
  <p id="error">{}</p>
</body>
</html>
"#,
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_sim_10_the_page_escapes_what_it_echoes() {
        let params = AuthorizeParams {
            client_id: "<script>alert(1)</script>".to_owned(),
            redirect_uri: "http://x/\"><b>".to_owned(),
            response_type: "code".to_owned(),
            state: Some("'&".to_owned()),
            ..AuthorizeParams::default()
        };
        let html = page(&params, Some("<i>bad</i>"), "\"u\"");
        assert!(!html.contains("<script>"));
        assert!(!html.contains("\"><b>"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(r#"value="&#39;&amp;""#));
        assert!(html.contains("&quot;u&quot;"));
        assert!(!error_page("<x>").contains("<x>"));
    }
}
