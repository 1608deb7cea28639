//! OAuth (V3-SIM-02, 10 … 15): the consent page, codes, the token endpoint, rotation,
//! lifetimes and revoke.

use std::time::Duration;

use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, V3_DEMO_CLIENT_ID, V3_DEMO_CLIENT_SECRET};
use reqwest::header::{CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use serde_json::Value;

use crate::support::v3::*;

#[tokio::test]
async fn v3_sim_10_to_13_the_whole_flow_through_the_consent_page_then_two_refreshes() {
    let sim = v3_sim(|_| {}).await;
    let client = v3_client(&sim);

    // The browser: the page, the form, the redirect.
    let code = consent(&sim, &client, "xyz-123").await;

    // The server: the code exchange.
    let first = exchange(&sim, &client, &code).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["scope"], "vms.all");
    assert_eq!(first["expires_in"], 43_200);
    assert_eq!(first["httpsBaseUrl"]["hostname"], API_HOST);
    assert_eq!(first["httpsBaseUrl"]["port"], 443);
    let claims = jwt_claims(first["access_token"].as_str().unwrap());
    assert_eq!(claims["vms_account"], "00001106");
    assert_eq!(claims["client_id"], V3_DEMO_CLIENT_ID);

    let v3 = V3 {
        sim,
        client,
        tokens: first.clone(),
    };
    let me = v3.json("users/self").await;
    assert_eq!(me["email"], DEMO_USERNAME);

    // Two refreshes, each rotating.
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    let response = refresh(
        &v3.sim,
        &v3.client,
        second["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let third: Value = response.json().await.unwrap();
    let tokens = [&first, &second, &third];
    for (i, a) in tokens.iter().enumerate() {
        for b in &tokens[i + 1..] {
            assert_ne!(a["access_token"], b["access_token"]);
            assert_ne!(a["refresh_token"], b["refresh_token"]);
        }
    }

    // The first refresh token and its access token are dead; so is the second pair.
    let replay = refresh(
        &v3.sim,
        &v3.client,
        first["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(replay.status(), 401);
    for dead in [&first, &second] {
        let response = v3
            .get_as(dead["access_token"].as_str().unwrap(), "users/self")
            .await;
        envelope(response, 401, "unauthenticated", "unauthenticated").await;
    }
    let response = v3
        .get_as(third["access_token"].as_str().unwrap(), "users/self")
        .await;
    assert_eq!(response.status(), 200);

    let stats = v3.sim.stats().v3;
    assert_eq!(stats.codes_issued, 1);
    assert_eq!(stats.tokens_issued, 3);
    assert_eq!(stats.refreshes, 2);
    assert_eq!(stats.rotations_refused, 1);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_02_and_10_unknown_clients_and_redirect_uris_get_an_error_page_never_a_redirect() {
    let sim = v3_sim(|_| {}).await;
    let client = v3_client(&sim);
    let mut bad = vec![
        // Exact-string matching (spec §2.1): none of these is the registered value.
        authorize_url(&sim, "http://localhost:3333", None),
        authorize_url(&sim, "https://127.0.0.1:3333", None),
        authorize_url(&sim, "http://127.0.0.1:3333/", None),
        authorize_url(&sim, "http://evil.example/", Some("s")),
    ];
    let mut unknown_client = authorize_url(&sim, REDIRECT, None);
    unknown_client.set_query(Some(&format!(
        "scope=vms.all&client_id=nobody&response_type=code&redirect_uri={}",
        enc(REDIRECT)
    )));
    bad.push(unknown_client);
    let mut no_redirect = authorize_url(&sim, REDIRECT, None);
    no_redirect.set_query(Some(&format!(
        "scope=vms.all&client_id={V3_DEMO_CLIENT_ID}&response_type=code"
    )));
    bad.push(no_redirect);
    for url in bad {
        let response = client.get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), 400, "{url}");
        assert!(response.headers().get(LOCATION).is_none(), "{url}");
        let ct = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(ct.starts_with("text/html"), "{ct}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Authorization error"), "{html}");
    }
    // Every registered URI of the demo client is accepted, as printed by `een-gallery sim`.
    for uri in &sim.config().v3.clients[0].redirect_uris {
        let response = client
            .get(authorize_url(&sim, uri, None))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{uri}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_10_a_bad_response_type_or_scope_and_deny_go_back_to_the_client_with_the_state() {
    let sim = v3_sim(|_| {}).await;
    let client = v3_client(&sim);
    for (query, error) in [
        (
            "response_type=token&scope=vms.all",
            "unsupported_response_type",
        ),
        ("response_type=code&scope=admin", "invalid_scope"),
        (
            "response_type=code&scope=vms.all&code_challenge=abc&code_challenge_method=plain",
            "invalid_request",
        ),
    ] {
        let mut url = authorize_url(&sim, REDIRECT, None);
        url.set_query(Some(&format!(
            "{query}&client_id={V3_DEMO_CLIENT_ID}&redirect_uri={}&state=s%2B1",
            enc(REDIRECT)
        )));
        let response = client.get(url).send().await.unwrap();
        let pairs = redirected_to(&response, REDIRECT);
        assert_eq!(pair(&pairs, "error"), Some(error));
        assert_eq!(pair(&pairs, "state"), Some("s+1"));
        assert_eq!(pair(&pairs, "code"), None);
    }

    // Deny on the page.
    let page = client
        .get(authorize_url(&sim, REDIRECT, Some("st")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (action, fields) = consent_form(&page, &[("action", "deny")]);
    let response = client
        .post(url(&sim, AUTH_HOST, &action))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let pairs = redirected_to(&response, REDIRECT);
    assert_eq!(pair(&pairs, "error"), Some("access_denied"));
    assert_eq!(pair(&pairs, "state"), Some("st"));

    // A wrong password: the page again, with the user name kept and no code.
    let (action, fields) = consent_form(
        &page,
        &[
            ("username", DEMO_USERNAME),
            ("password", "wrong"),
            ("action", "allow"),
        ],
    );
    let response = client
        .post(url(&sim, AUTH_HOST, &action))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let html = response.text().await.unwrap();
    assert!(html.contains("Wrong email or password"));
    assert!(html.contains(&format!("value=\"{DEMO_USERNAME}\"")));
    assert_eq!(sim.stats().v3.codes_issued, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_10_the_consent_page_escapes_what_it_echoes() {
    let sim = v3_sim(|_| {}).await;
    let client = v3_client(&sim);
    let state = "\"><script>alert('x')</script>";
    let response = client
        .get(authorize_url(&sim, REDIRECT, Some(state)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    // The browser still submits the state unchanged, and gets it back unchanged.
    let (action, fields) = consent_form(
        &html,
        &[
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("action", "allow"),
        ],
    );
    let response = client
        .post(url(&sim, AUTH_HOST, &action))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let pairs = redirected_to(&response, REDIRECT);
    assert_eq!(pair(&pairs, "state"), Some(state));
    sim.shutdown().await;
}

/// RFC 7636 S256 of the verifier below (computed with Python's hashlib).
const VERIFIER: &str = "een-sim-pkce-verifier-0123456789abcdefghijklmnop";
const CHALLENGE: &str = "J5r35tgoJQKRW5NcLQLqM6CREkHsOCyP2W7h-TRR-CE";

#[tokio::test]
async fn v3_sim_10_auto_approve_skips_the_page_and_pkce_s256_is_verified() {
    let sim = v3_sim(|c| c.v3.auto_approve = Some(DEMO_USERNAME.to_owned())).await;
    let client = v3_client(&sim);
    let code = || async {
        let mut url = authorize_url(&sim, REDIRECT, None);
        url.query_pairs_mut()
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256");
        let response = client.get(url).send().await.unwrap();
        let pairs = redirected_to(&response, REDIRECT);
        pair(&pairs, "code").unwrap().to_owned()
    };
    for verifier in [
        None,
        Some("een-sim-pkce-verifier-0123456789abcdefghijklmnoX"),
    ] {
        let code = code().await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let response = token_call(&sim, &client, &form).await;
        assert_eq!(response.status(), 400, "{verifier:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
    let code = code().await;
    let response = token_call(
        &sim,
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_11_codes_are_single_use_and_expire() {
    let v3 = V3::new().await;
    let response = v3
        .client
        .get(authorize_url(&v3.sim, REDIRECT, None))
        .send()
        .await
        .unwrap();
    let code = pair(&redirected_to(&response, REDIRECT), "code")
        .unwrap()
        .to_owned();
    exchange(&v3.sim, &v3.client, &code).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let again = token_call(&v3.sim, &v3.client, &form).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    v3.sim.shutdown().await;

    // A code that lives no time at all has expired by the time it is exchanged.
    let sim = v3_sim(|c| {
        c.v3.auto_approve = Some(DEMO_USERNAME.to_owned());
        c.v3.code_ttl = Duration::ZERO;
    })
    .await;
    let client = v3_client(&sim);
    let response = client
        .get(authorize_url(&sim, REDIRECT, None))
        .send()
        .await
        .unwrap();
    let code = pair(&redirected_to(&response, REDIRECT), "code")
        .unwrap()
        .to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    assert_eq!(token_call(&sim, &client, &form).await.status(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_12_clients_authenticate_by_basic_or_form_fields_with_params_in_body_or_query() {
    let sim = v3_sim(|c| c.v3.auto_approve = Some(DEMO_USERNAME.to_owned())).await;
    let client = v3_client(&sim);
    let new_code = || async {
        let response = client
            .get(authorize_url(&sim, REDIRECT, None))
            .send()
            .await
            .unwrap();
        pair(&redirected_to(&response, REDIRECT), "code")
            .unwrap()
            .to_owned()
    };
    let token = url(&sim, AUTH_HOST, "/oauth2/token");

    // client_secret_post: the credentials as form fields, no Authorization header.
    let code = new_code().await;
    let response = client
        .post(token.clone())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", V3_DEMO_CLIENT_ID),
            ("client_secret", V3_DEMO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // POSTMAN/MV/EEV3: everything in the query string of the POST, the redirect URI raw.
    let code = new_code().await;
    let mut in_query = token.clone();
    in_query.set_query(Some(&format!(
        "grant_type=authorization_code&scope=vms.all&code={}&redirect_uri={REDIRECT}",
        enc(&code)
    )));
    let response = client
        .post(in_query)
        .basic_auth(V3_DEMO_CLIENT_ID, Some(V3_DEMO_CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );

    // Wrong or missing client credentials: 401 invalid_client (a Basic challenge for Basic).
    let code = new_code().await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let response = client
        .post(token.clone())
        .basic_auth(V3_DEMO_CLIENT_ID, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get(WWW_AUTHENTICATE).is_some());
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let response = client.post(token.clone()).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 401);
    // The refused attempts did not use up the code… but a mismatched redirect URI does fail.
    let mismatch = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:8080/een/callback"),
    ];
    let response = token_call(&sim, &client, &mismatch).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    for (form, error) in [
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("code", "x")], "invalid_request"),
        (vec![("grant_type", "refresh_token")], "invalid_request"),
        (
            vec![("grant_type", "authorization_code"), ("code", "nope")],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("scope", "all"),
            ],
            "invalid_scope",
        ),
    ] {
        let response = token_call(&sim, &client, &form).await;
        assert_eq!(response.status(), 400, "{form:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            error,
            "{form:?}"
        );
    }
    let response = client.get(token).send().await.unwrap();
    assert_eq!(response.status(), 405);
    sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_13_non_rotating_refresh_tokens_come_back_with_the_live_access_token() {
    let v3 = V3::with(|c| c.v3.rotate_refresh_tokens = false).await;
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    assert_eq!(response.status(), 200);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["refresh_token"], v3.tokens["refresh_token"]);
    assert_eq!(again["access_token"], v3.tokens["access_token"]);
    assert!(again["expires_in"].as_u64().unwrap() <= 43_200);
    // Once the access token has expired, a refresh mints a new one; the refresh token stays.
    v3.sim.expire_v3_access_tokens();
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    let fresh: Value = response.json().await.unwrap();
    assert_eq!(fresh["refresh_token"], v3.tokens["refresh_token"]);
    assert_ne!(fresh["access_token"], v3.tokens["access_token"]);
    let token = fresh["access_token"].as_str().unwrap();
    assert_eq!(v3.get_as(token, "users/self").await.status(), 200);
    assert_eq!(v3.sim.stats().v3.tokens_issued, 2);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_13_refresh_tokens_die_after_their_idle_and_absolute_lifetimes() {
    for (idle, max) in [
        (Duration::ZERO, Duration::from_secs(90)),
        (Duration::from_secs(90), Duration::ZERO),
    ] {
        let v3 = V3::with(|c| {
            c.v3.refresh_idle_ttl = idle;
            c.v3.refresh_max_ttl = max;
        })
        .await;
        let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
        assert_eq!(response.status(), 401, "idle {idle:?}, max {max:?}");
        assert_eq!(v3.sim.stats().v3.rotations_refused, 1);
        v3.sim.shutdown().await;
    }
    let v3 = V3::with(|c| {
        c.v3.refresh_idle_ttl = Duration::from_secs(90);
        c.v3.refresh_max_ttl = Duration::from_secs(90);
    })
    .await;
    assert_eq!(
        refresh(&v3.sim, &v3.client, v3.refresh_token())
            .await
            .status(),
        200
    );
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_14_revoking_a_refresh_token_kills_its_access_token() {
    let v3 = V3::new().await;
    let revoke = url(&v3.sim, AUTH_HOST, "/oauth2/revoke");
    // DOC-logout, current form: Basic auth and a form body.
    let response = v3
        .client
        .post(revoke.clone())
        .basic_auth(V3_DEMO_CLIENT_ID, Some(V3_DEMO_CLIENT_SECRET))
        .form(&[("token", v3.refresh_token())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(v3.get("users/self").await.status(), 401);
    assert_eq!(
        refresh(&v3.sim, &v3.client, v3.refresh_token())
            .await
            .status(),
        401
    );

    // The older form: token and hint in the query, a JSON content type, no body; client
    // credentials as form fields work as well elsewhere.
    let tokens = V3::log_in(&v3.sim, &v3.client).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(v3.get_as(access, "users/self").await.status(), 200);
    let mut old_style = revoke.clone();
    old_style.set_query(Some(&format!(
        "token={}&token_type_hint=access_token",
        enc(access)
    )));
    let response = v3
        .client
        .post(old_style)
        .basic_auth(V3_DEMO_CLIENT_ID, Some(V3_DEMO_CLIENT_SECRET))
        .header(CONTENT_TYPE, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(v3.get_as(access, "users/self").await.status(), 401);

    let tokens = V3::log_in(&v3.sim, &v3.client).await;
    let response = v3
        .client
        .post(revoke.clone())
        .form(&[
            ("token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", V3_DEMO_CLIENT_ID),
            ("client_secret", V3_DEMO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(v3.get_as(access, "users/self").await.status(), 401);

    // Unknown tokens answer 200 too (RFC 7009); a wrong client or no token does not.
    let response = v3
        .client
        .post(revoke.clone())
        .basic_auth(V3_DEMO_CLIENT_ID, Some(V3_DEMO_CLIENT_SECRET))
        .form(&[("token", "never-issued")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = v3
        .client
        .post(revoke.clone())
        .basic_auth("someone", Some("else"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = v3
        .client
        .post(revoke)
        .basic_auth(V3_DEMO_CLIENT_ID, Some(V3_DEMO_CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(v3.sim.stats().v3.revocations, 3);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_15_access_tokens_expire_after_expires_in() {
    let v3 = V3::with(|c| c.v3.access_token_ttl = Duration::ZERO).await;
    assert_eq!(v3.tokens["expires_in"], 0);
    let body = envelope(
        v3.get("cameras").await,
        401,
        "unauthenticated",
        "unauthenticated",
    )
    .await;
    assert_eq!(
        body["message"],
        "The client caller does not have a valid authentication credential"
    );
    assert_eq!(body["details"][0]["metadata"]["path"], "/api/v3.0/cameras");
    v3.sim.shutdown().await;
}
