//! `/g/aaa/*` and `/g/user`: authenticate, authorize, isauth, logout, the user object
//! (SIM-10 … SIM-13, SIM-15 … SIM-17).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::auth::{Auth, SessionCandidates, SessionRef};
use super::params::reject_unknown;
use super::wire::{ApiError, add_session_cookies, g_json, g_no_content, pretty_json};
use crate::sim::account::devices::{ACCOUNT_ID, DeviceKind};
use crate::sim::account::users::User;
use crate::sim::http::query::Params;
use crate::sim::http::state::{Ctx, SimState};
use crate::timestamp::EenTimestamp;

/// The realm every client sends; others are refused when unknown arguments are.
const REALM: &str = "eagleeyenetworks";

/// The login fields of a request: body first, then query (some clients put them there).
fn login_fields(ctx: &Ctx, allowed: &[&str], state: &SimState) -> Result<Params, ApiError> {
    if ctx.method != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let body = ctx.body.clone()?;
    if state.config.reject_unknown_params
        && let Some(key) = body.unknown_key(allowed).or(ctx.query.unknown_key(allowed))
    {
        return Err(ApiError::bad_request(format!("unexpected argument: {key}")));
    }
    let mut fields = ctx.query.clone();
    for key in allowed {
        if let Some(value) = body.get(&[key]) {
            fields.push(*key, value);
        }
    }
    Ok(fields)
}

fn required<'a>(fields: &'a Params, name: &'static str) -> Result<&'a str, ApiError> {
    fields
        .get_nonempty(&[name])
        .ok_or_else(|| ApiError::bad_request(format!("missing argument: {name}")))
}

/// `POST /g/aaa/authenticate` → `{"token": …}` (SIM-10, SIM-11, SIM-12).
pub(crate) async fn authenticate(
    state: &SimState,
    auth: &Auth,
    ctx: &Ctx,
) -> Result<Response, ApiError> {
    let fields = login_fields(ctx, &["username", "password", "realm"], state)?;
    let username = required(&fields, "username")?;
    let password = required(&fields, "password")?;
    if let Some(realm) = fields.get_nonempty(&["realm"])
        && realm != REALM
        && state.config.reject_unknown_params
    {
        return Err(ApiError::bad_request("invalid realm"));
    }
    let token = auth.authenticate(username, password)?;
    let body = pretty_json(&json!({ "token": token }));
    Ok(g_json(StatusCode::OK, body, Timestamp::now()))
}

/// `POST /g/aaa/authorize` → the user object and two session cookies (SIM-13).
pub(crate) async fn authorize(
    state: &SimState,
    auth: &Auth,
    ctx: &Ctx,
) -> Result<Response, ApiError> {
    let fields = login_fields(ctx, &["token", "two_factor_authentication_code"], state)?;
    let token = required(&fields, "token")?;
    let (key, session) = auth.authorize(token)?;
    state.recorder.session_created();
    let now = Timestamp::now();
    let body = pretty_json(&user_json(state, auth.user(session.user), now));
    let mut response = g_json(StatusCode::OK, body, now);
    let domain = state
        .config
        .cookie_domain
        .then_some(state.config.base_domain.as_str());
    // EEN's cookie says one second less than the session lives.
    let max_age = state.config.session_ttl.as_secs().saturating_sub(1);
    add_session_cookies(response.headers_mut(), &key, domain, max_age, now);
    Ok(response)
}

/// `GET /g/aaa/isauth` → `true` (SIM-15; the 401 comes from the session check).
pub(crate) fn isauth(state: &SimState, ctx: &Ctx) -> Result<Response, ApiError> {
    reject_unknown(state, ctx, &[&["A"]])?;
    Ok(g_json(StatusCode::OK, b"true".to_vec(), Timestamp::now()))
}

/// `POST` (or `GET`) `/g/aaa/logout` → 204; the session is gone afterwards (SIM-16).
pub(crate) fn logout(
    state: &SimState,
    auth: &Auth,
    ctx: &Ctx,
    candidates: &SessionCandidates,
) -> Result<Response, ApiError> {
    reject_unknown(state, ctx, &[&["A"]])?;
    auth.logout(candidates);
    Ok(g_no_content(Timestamp::now()))
}

/// `GET /g/user[?id=]` → the current user (SIM-17).
pub(crate) fn user(
    state: &SimState,
    auth: &Auth,
    ctx: &Ctx,
    session: SessionRef,
) -> Result<Response, ApiError> {
    reject_unknown(state, ctx, &[&["A", "id"]])?;
    let user = auth.user(session.user);
    if let Some(id) = ctx.query.get_nonempty(&["id"])
        && id != user.id
    {
        return Err(ApiError::not_found("user not found"));
    }
    let now = Timestamp::now();
    Ok(g_json(
        StatusCode::OK,
        pretty_json(&user_json(state, user, now)),
        now,
    ))
}

/// The User object with the 78 keys of the real 2019 answer (spec §2.3), sorted by key as
/// `serde_json` does.
fn user_json(state: &SimState, user: &User, now: Timestamp) -> Value {
    let camera_access: Vec<Value> = state
        .devices
        .iter()
        .filter(|d| d.attached && d.kind != DeviceKind::Bridge)
        .filter_map(|d| d.esn.as_deref())
        .map(|esn| json!([esn, "r"]))
        .collect();
    let tz = jiff::tz::TimeZone::get("America/Chicago").unwrap_or(jiff::tz::TimeZone::UTC);
    let utc_offset = tz.to_offset(now).seconds();
    let last_login = EenTimestamp::from_timestamp(now).to_string();
    let pairs: Vec<(&str, Value)> = vec![
        ("access_period", json!([])),
        ("account_map_lines", json!({})),
        ("account_utc_offset", json!(utc_offset)),
        ("account_work_days", json!("12345")),
        ("account_work_hours", json!(["0800", "1800"])),
        ("active_account_id", json!(ACCOUNT_ID)),
        ("active_brand_subdomain", json!(state.config.cluster)),
        ("active_white_label_domain", json!(null)),
        ("alternate_email", json!(null)),
        ("camera_access", json!(camera_access)),
        ("city", json!("Austin")),
        ("country", json!("US")),
        ("email", json!(user.username)),
        ("first_name", json!(user.first_name)),
        ("id", json!(user.id)),
        ("inactive_session_timeout", json!(null)),
        ("is_account_superuser", json!(1)),
        ("is_active", json!(1)),
        ("is_all_camera_access", json!(1)),
        ("is_all_layout_access", json!(1)),
        ("is_branded", json!(1)),
        ("is_device_admin", json!(0)),
        ("is_edit_account", json!(0)),
        ("is_edit_admin_users", json!(0)),
        ("is_edit_all_and_add", json!(0)),
        ("is_edit_all_users", json!(0)),
        ("is_edit_camera_less_billing", json!(0)),
        ("is_edit_camera_on_off", json!(0)),
        ("is_edit_cameras", json!(0)),
        ("is_edit_map", json!(0)),
        ("is_edit_motion_areas", json!(0)),
        ("is_edit_ptz_stations", json!(0)),
        ("is_edit_sharing", json!(0)),
        ("is_edit_users", json!(0)),
        ("is_export_video", json!(1)),
        ("is_layout_admin", json!(0)),
        ("is_live_video", json!(1)),
        ("is_master", json!(0)),
        ("is_mobile_branded", json!(0)),
        ("is_notify_enable", json!(0)),
        ("is_pending", json!(0)),
        ("is_ptz_live", json!(1)),
        ("is_recorded_video", json!(1)),
        ("is_sms_include_picture", json!(0)),
        ("is_staff", json!(0)),
        ("is_superuser", json!(0)),
        ("is_system_notifications_disabled", json!(0)),
        ("is_terms_noncompliant", json!(0)),
        ("is_two_factor_authentication_enabled", json!(0)),
        ("is_user_admin", json!(0)),
        ("is_user_create_layout", json!(1)),
        ("is_view_all_accounts", json!(0)),
        ("is_view_audit_trail", json!(0)),
        ("is_view_contract", json!(0)),
        ("is_view_preview_video", json!(1)),
        ("json", json!("{\"temp_account_access\": [], \"een\": {}}")),
        ("language", json!("en-us")),
        ("last_login", json!(last_login)),
        ("last_name", json!(user.last_name)),
        (
            "layouts",
            json!([
                "6ba2928a-0eea-11e9-bb6c-0a580af4018e",
                "8f3c1d2e-0eea-11e9-bb6c-0a580af4018e"
            ]),
        ),
        ("mobile_phone", json!(null)),
        ("notify_period", json!([])),
        ("notify_rule", json!(["one-gui-0", "one-email-0"])),
        ("owner_account_id", json!(ACCOUNT_ID)),
        ("phone", json!(null)),
        ("postal_code", json!("78701")),
        ("saved_filters", json!([])),
        ("sms_phone", json!(null)),
        ("state", json!("TX")),
        ("street", json!([])),
        ("temp_account_access", json!([])),
        ("timezone", json!("America/Chicago")),
        ("uid", json!(null)),
        ("user_authenticated_clients", json!(null)),
        ("user_id", json!(user.id)),
        ("user_log_level", json!(0)),
        ("utc_offset", json!(utc_offset)),
        ("weekly_newsletter", json!(0)),
    ];
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
