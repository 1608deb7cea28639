//! Login, sessions and hosts: SIM-01, SIM-10 … SIM-13, SIM-15 … SIM-17, SIM-20 … SIM-23.

use std::time::Duration;

use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, Endpoint, Faults, LOGIN_STATE_USERS};
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::net::raw;
use crate::support::sim::{
    CLUSTER_HOST, LOGIN_HOST, authenticate, client, cluster_url, get, login, login_url,
    session_from, sim, sim_with,
};

async fn status_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn sim_10_authenticate_accepts_json_urlencoded_multipart_and_no_content_type() {
    let sim = sim().await;
    let client = client(&sim);
    let url = login_url(&sim, "/g/aaa/authenticate");

    let json = client
        .post(url.clone())
        .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let form = client
        .post(url.clone())
        .form(&[
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("realm", "eagleeyenetworks"),
        ])
        .send()
        .await
        .unwrap();
    let multipart = client
        .post(url.clone())
        .multipart(
            reqwest::multipart::Form::new()
                .text("username", DEMO_USERNAME)
                .text("password", DEMO_PASSWORD)
                .text("realm", "eagleeyenetworks"),
        )
        .send()
        .await
        .unwrap();
    // The reference Python client: a str body (no Content-Type) with a raw `@`.
    let raw_body = client
        .post(url.clone())
        .body(format!(
            "username={DEMO_USERNAME}&password={DEMO_PASSWORD}&realm=eagleeyenetworks"
        ))
        .send()
        .await
        .unwrap();
    for response in [json, form, multipart, raw_body] {
        assert_eq!(response.status(), 200);
        assert!(response.headers().get(SET_COOKIE).is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body.as_object().unwrap().len(), 1);
        assert_eq!(body["token"].as_str().unwrap().len(), 344);
    }
    let log = sim.requests();
    let last = log.last().unwrap();
    assert_eq!(
        last.header("content-type"),
        None,
        "really sent without Content-Type"
    );
    assert!(String::from_utf8_lossy(&last.body).contains("username=demo@een.com&"));
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_10_realm_and_api_key_headers() {
    let sim = sim().await;
    let client = client(&sim);
    let url = login_url(&sim, "/g/aaa/authenticate");
    // API-key headers are not enforced, in either documented spelling.
    let with_key = client
        .post(url.clone())
        .header("Authentication", "0123456789abcdef:")
        .header("Authorization", "0123456789abcdef")
        .body(format!("username={DEMO_USERNAME}&password={DEMO_PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), 200);
    let other_realm = client
        .post(url.clone())
        .body(format!(
            "username={DEMO_USERNAME}&password={DEMO_PASSWORD}&realm=elsewhere"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(status_of(other_realm).await.0, 400);
    let unknown = client
        .post(url)
        .body(format!(
            "username={DEMO_USERNAME}&password={DEMO_PASSWORD}&foo=1"
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = status_of(unknown).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"status_code": 400, "message": "unexpected argument: foo", "data": null }"#
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_11_user_and_account_states_answer_their_codes() {
    let sim = sim().await;
    let client = client(&sim);
    let url = login_url(&sim, "/g/aaa/authenticate");
    let attempt = |username: &str, password: &str| {
        client
            .post(url.clone())
            .json(&json!({"username": username, "password": password}))
            .send()
    };
    assert_eq!(
        attempt(DEMO_USERNAME, "wrong password")
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        attempt("nobody@een.test", DEMO_PASSWORD)
            .await
            .unwrap()
            .status(),
        401
    );
    for (username, status) in LOGIN_STATE_USERS {
        let response = attempt(username, DEMO_PASSWORD).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{username}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status_code"], status);
    }
    // 462 comes before 401 for a pending user of an active account.
    let pending = attempt("pending-user@een.test", "wrong password")
        .await
        .unwrap();
    assert_eq!(pending.status(), 462);
    // Missing fields: 400.
    for body in [
        json!({"username": DEMO_USERNAME}),
        json!({"password": DEMO_PASSWORD}),
        json!({}),
    ] {
        let response = client.post(url.clone()).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
    }
    let broken = client
        .post(url.clone())
        .header(CONTENT_TYPE, "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let get = client.get(url).send().await.unwrap();
    assert_eq!(get.status(), 405);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_12_tokens_are_single_use_base64_and_expire() {
    let sim = sim_with(|c| c.token_ttl = Duration::from_millis(300)).await;
    let client = client(&sim);
    let token = authenticate(&sim, &client).await;
    assert_eq!(token.len(), 344);
    assert!(token.ends_with("=="));
    assert!(token.contains('+') && token.contains('/'));
    let authorize = |token: String| {
        client
            .post(login_url(&sim, "/g/aaa/authorize"))
            .json(&json!({ "token": token }))
            .send()
    };
    assert_eq!(authorize(token.clone()).await.unwrap().status(), 200);
    let reused = authorize(token).await.unwrap();
    assert_eq!(reused.status(), 401, "single use");
    assert_eq!(
        authorize("bm90IGEgdG9rZW4=".to_owned())
            .await
            .unwrap()
            .status(),
        401
    );

    let stale = authenticate(&sim, &client).await;
    tokio::time::sleep(Duration::from_millis(400)).await; // let the 300 ms token lapse
    assert_eq!(authorize(stale).await.unwrap().status(), 401, "expired");
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_13_authorize_answers_the_user_and_two_cookies_in_the_real_format() {
    let sim = sim().await;
    let client = client(&sim);
    let token = authenticate(&sim, &client).await;
    // As the reference client: urlencode(<authenticate JSON>) as a str body, no Content-Type.
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", &token)
        .finish();
    assert!(body.contains("%2B") && body.contains("%2F") && body.ends_with("%3D%3D"));
    let response = client
        .post(login_url(&sim, "/g/aaa/authorize"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookies: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2);
    let key = session_from(&response).unwrap();
    assert!(key.starts_with("c000~"));
    let hex = &key[5..];
    assert_eq!(hex.len(), 32);
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    for (cookie, name) in cookies.iter().zip(["auth_key", "videobank_sessionid"]) {
        let (prefix, expires_and_rest) = cookie.split_once("expires=").unwrap();
        assert_eq!(prefix, format!("{name}={key}; Domain=.een.test; "));
        let (expires, rest) = expires_and_rest.split_once("; ").unwrap();
        assert_eq!(rest, "httponly; Max-Age=14399; Path=/");
        // `Tue, 09-Apr-2019 06:37:25 GMT`: the dashed Netscape form.
        let parts: Vec<&str> = expires.split([' ', '-']).collect();
        assert_eq!(parts.len(), 6, "{expires}");
        assert!(parts[0].ends_with(',') && parts[5] == "GMT", "{expires}");
    }
    let user: Value = response.json().await.unwrap();
    let user = user.as_object().unwrap();
    assert_eq!(user.len(), 78);
    assert_eq!(user["id"], user["user_id"]);
    assert_eq!(user["active_brand_subdomain"], "c000");
    assert_eq!(user["first_name"], "Demo");
    assert_eq!(user["is_two_factor_authentication_enabled"], 0);
    assert!(user["json"].is_string());
    assert!(user["camera_access"].as_array().unwrap().len() >= 30);
    for form in ["json", "form", "multipart"] {
        let token = authenticate(&sim, &client).await;
        let request = client.post(login_url(&sim, "/g/aaa/authorize"));
        let request = match form {
            "json" => request.json(&json!({ "token": token })),
            "form" => request.form(&[("token", token)]),
            _ => request.multipart(reqwest::multipart::Form::new().text("token", token)),
        };
        assert_eq!(request.send().await.unwrap().status(), 200, "{form}");
    }
    assert_eq!(sim.stats().sessions_created, 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_13_cookie_domain_switch_for_localhost() {
    let sim = sim_with(|c| {
        c.cookie_domain = false;
        c.session_ttl = Duration::from_secs(60);
    })
    .await;
    let client = client(&sim);
    let token = authenticate(&sim, &client).await;
    let response = client
        .post(login_url(&sim, "/g/aaa/authorize"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    for cookie in response.headers().get_all(SET_COOKIE) {
        let cookie = cookie.to_str().unwrap();
        assert!(!cookie.contains("Domain="), "{cookie}");
        assert!(
            cookie.ends_with("; httponly; Max-Age=59; Path=/"),
            "{cookie}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_15_isauth_and_sim_17_user() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let ok = get(&client, cluster_url(&sim, "/g/aaa/isauth"), &key).await;
    assert_eq!(status_of(ok).await, (200, "true".to_owned()));
    let bad = get(&client, cluster_url(&sim, "/g/aaa/isauth"), "c000~0000").await;
    assert_eq!(bad.status(), 401);

    let user = get(&client, cluster_url(&sim, "/g/user"), &key).await;
    assert_eq!(user.status(), 200);
    let user: Value = user.json().await.unwrap();
    assert_eq!(user["email"], DEMO_USERNAME);
    let id = user["id"].as_str().unwrap();
    let same = get(
        &client,
        cluster_url(&sim, &format!("/g/user?id={id}")),
        &key,
    )
    .await;
    assert_eq!(same.status(), 200);
    let other = get(&client, cluster_url(&sim, "/g/user?id=00000000"), &key).await;
    assert_eq!(other.status(), 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_16_logout_by_post_and_get_ends_the_session() {
    let sim = sim().await;
    let client = client(&sim);
    for method in [reqwest::Method::POST, reqwest::Method::GET] {
        let key = login(&sim, &client).await;
        let response = client
            .request(method.clone(), cluster_url(&sim, "/g/aaa/logout"))
            .header("Cookie", format!("auth_key={key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{method}");
        assert!(response.bytes().await.unwrap().is_empty());
        let after = get(&client, cluster_url(&sim, "/g/aaa/isauth"), &key).await;
        assert_eq!(after.status(), 401, "{method}");
        let again = client
            .post(cluster_url(&sim, "/g/aaa/logout"))
            .header("Cookie", format!("auth_key={key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 401);
    }
    sim.shutdown().await;

    let strict = sim_with(|c| c.logout_via_get = false).await;
    let client = crate::support::sim::client(&strict);
    let key = login(&strict, &client).await;
    let response = get(&client, cluster_url(&strict, "/g/aaa/logout"), &key).await;
    assert_eq!(response.status(), 405);
    let still = get(&client, cluster_url(&strict, "/g/aaa/isauth"), &key).await;
    assert_eq!(still.status(), 200);
    strict.shutdown().await;
}

#[tokio::test]
async fn sim_20_session_lookup_precedence_and_lenient_cookies() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let isauth = cluster_url(&sim, "/g/aaa/isauth");
    let send = |url: reqwest::Url, cookie: Option<String>| {
        let mut request = client.get(url);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        request.send()
    };
    let with_a = |value: &str| {
        let mut url = isauth.clone();
        url.set_query(Some(&format!("A={value}")));
        url
    };
    // `A` in the query, no cookie at all.
    assert_eq!(send(with_a(&key), None).await.unwrap().status(), 200);
    // `A` wins over a cookie: a bad A fails even with a good cookie…
    let bad_a = send(with_a("c000~bad"), Some(format!("auth_key={key}")));
    assert_eq!(bad_a.await.unwrap().status(), 401);
    // …and a good A works with a bad cookie.
    let good_a = send(with_a(&key), Some("auth_key=c000~bad".to_owned()));
    assert_eq!(good_a.await.unwrap().status(), 200);
    // `A` in a form body and in a JSON body.
    let form = client
        .post(isauth.clone())
        .form(&[("A", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let json_body = client
        .post(isauth.clone())
        .json(&json!({ "A": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 200);
    // Either cookie name, and raw Set-Cookie strings joined by ", " as one client sent them.
    let old_name = send(isauth.clone(), Some(format!("videobank_sessionid={key}")));
    assert_eq!(old_name.await.unwrap().status(), 200);
    let joined = format!(
        "videobank_sessionid={key}; Domain=.een.test; expires=Tue, 09-Apr-2019 06:37:25 GMT; \
         httponly; Max-Age=14399; Path=/, auth_key={key}; Domain=.een.test; \
         expires=Tue, 09-Apr-2019 06:37:25 GMT; httponly; Max-Age=14399; Path=/"
    );
    assert_eq!(
        send(isauth.clone(), Some(joined)).await.unwrap().status(),
        200
    );
    let stale_then_good = format!("auth_key=c000~stale; videobank_sessionid={key}");
    assert_eq!(
        send(isauth, Some(stale_then_good)).await.unwrap().status(),
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_21_invalid_sessions_get_the_byte_exact_401_on_every_authenticated_endpoint() {
    let sim = sim().await;
    let esn = sim.cameras().into_iter().find_map(|c| c.esn).unwrap();
    let paths = [
        "/g/aaa/isauth".to_owned(),
        "/g/user".to_owned(),
        "/g/device/list?e=;n=;t=camera;s=".to_owned(),
        "/g/list/devices".to_owned(),
        format!("/g/device?id={esn}"),
        format!("/asset/list/image.jpeg?c={esn};t=now;a=preview;count=-20"),
        format!("/asset/asset/image.jpeg?c={esn};t=now;a=preview"),
        format!("/asset/prev/image.jpeg?c={esn};t=now;a=pre"),
        format!("/asset/next/image.jpeg?c={esn};t=now;a=pre"),
        format!("/asset/after/image.jpeg?c={esn};t=now;a=pre"),
    ];
    for (path, cookie) in paths.iter().zip(
        ["", "auth_key=c000~00000000000000000000000000000000"]
            .iter()
            .cycle(),
    ) {
        let cookie_line = if cookie.is_empty() {
            String::new()
        } else {
            format!("\r\nCookie: {cookie}")
        };
        let response = raw(
            sim.addr(),
            &format!("GET {path} HTTP/1.1\r\nHost: {CLUSTER_HOST}{cookie_line}"),
            b"",
        )
        .await;
        assert_eq!(
            response.status_line, "HTTP/1.1 401 session expired",
            "{path}"
        );
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            response.header("x-ee-server-message"),
            Some("session expired")
        );
        assert_eq!(response.header("content-length"), Some("65"));
        assert_eq!(
            response.body,
            br#"{"status_code": 401, "message": "session expired", "data": null }"#
        );
    }
    assert_eq!(sim.stats().count_status(Endpoint::ListImage, 401), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_22_sessions_expire_after_their_ttl_and_on_demand() {
    let sim = sim_with(|c| c.session_ttl = Duration::from_millis(500)).await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let isauth = cluster_url(&sim, "/g/aaa/isauth");
    assert_eq!(get(&client, isauth.clone(), &key).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(600)).await; // outlive the 500 ms session
    assert_eq!(get(&client, isauth.clone(), &key).await.status(), 401);
    sim.shutdown().await;

    let sim = crate::support::sim::sim().await;
    let client = crate::support::sim::client(&sim);
    let keys = [login(&sim, &client).await, login(&sim, &client).await];
    let isauth = cluster_url(&sim, "/g/aaa/isauth");
    sim.expire_sessions();
    for key in &keys {
        assert_eq!(get(&client, isauth.clone(), key).await.status(), 401);
    }
    let fresh = login(&sim, &client).await;
    assert_eq!(get(&client, isauth, &fresh).await.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_23_first_requests_after_login_on_the_cluster_host_answer_401() {
    let sim = sim().await;
    sim.set_faults(Faults {
        unauthorized_after_login: 2,
        ..Faults::default()
    });
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let list = "/g/device/list";
    // The login host is not affected.
    assert_eq!(
        get(&client, login_url(&sim, list), &key).await.status(),
        200
    );
    let statuses: Vec<u16> = {
        let mut s = Vec::new();
        for _ in 0..4 {
            s.push(
                get(&client, cluster_url(&sim, list), &key)
                    .await
                    .status()
                    .as_u16(),
            );
        }
        s
    };
    assert_eq!(statuses, [401, 401, 200, 200]);
    // Every new login starts the count again.
    let key = login(&sim, &client).await;
    assert_eq!(
        get(&client, cluster_url(&sim, list), &key).await.status(),
        401
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_01_any_host_is_answered_and_recorded() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    // The login host serves every endpoint (real behaviour), the cluster host too, and so does
    // a bare IP address.
    for url in [
        login_url(&sim, "/g/device/list"),
        cluster_url(&sim, "/g/device/list"),
        sim.base_url().join("/g/device/list").unwrap(),
    ] {
        assert_eq!(get(&client, url, &key).await.status(), 200);
    }
    let stats = sim.stats();
    assert_eq!(
        stats.host_count(LOGIN_HOST),
        3,
        "authenticate, authorize, list"
    );
    assert_eq!(stats.host_count(CLUSTER_HOST), 1);
    assert_eq!(stats.host_count("127.0.0.1"), 1);
    let hosts: Vec<_> = sim
        .requests()
        .iter()
        .map(|r| r.host.clone().unwrap())
        .collect();
    assert_eq!(hosts[3], format!("{CLUSTER_HOST}:{}", sim.addr().port()));
    sim.shutdown().await;
}
