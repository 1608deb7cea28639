//! `/clientSettings` (spec §1.1), `/users/self` (§6.1) and `/accounts` (§6.2): V3-SIM-01, 30.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::Req;
use super::oauth::Bearer;
use super::wire::{self, V3Error, json_response};
use crate::sim::account::devices::{ACCOUNT_ID, ACCOUNT_NAME};

/// The account's and the demo user's time zone (v1's `account_utc_offset` follows it too).
const ACCOUNT_TIME_ZONE: &str = "America/Chicago";

const USER_INCLUDES: &[&str] = &[
    "loginDetails",
    "locationSummary",
    "contactDetails",
    "timeZone",
    "support",
    "status",
    "permissions",
    "layoutSettings",
    "previewSettings",
    "effectivePermissions",
    "timeSettings",
];

const ACCOUNT_INCLUDES: &[&str] = &[
    "effectivePermissions",
    "timeZone",
    "workingHours",
    "security",
    "packages",
    "roleSettings",
];

/// `GET /api/v3.0/clientSettings`: where the account's API lives (V3-SIM-01).
pub(crate) fn client_settings(req: &Req<'_>) -> Result<Response, V3Error> {
    req.query.only(req.path, &[])?;
    let (hostname, port) = req.v3.api_host();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "httpsBaseUrl": { "hostname": hostname, "port": port } }),
    ))
}

/// `GET /api/v3.0/users/self[?include=…]` (V3-SIM-30).
pub(crate) fn user_self(req: &Req<'_>, bearer: Bearer) -> Result<Response, V3Error> {
    req.query.only(req.path, &["include"])?;
    let includes = req.query.includes(req.path, USER_INCLUDES)?;
    let user = req.v3.user(bearer.user);
    let mut body = json!({
        "id": user.id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.username,
        "accountId": ACCOUNT_ID,
        "language": "en",
        "employeeId": null,
        "createTimestamp": "2019-04-09T02:42:12.149+00:00",
    });
    for include in includes {
        let value = match include {
            "timeZone" => json!({ "timeZone": ACCOUNT_TIME_ZONE }),
            "timeSettings" => json!({ "showMilliseconds": false, "format": "24h" }),
            "status" => json!({ "loginStatus": "active" }),
            "contactDetails" => json!({ "mobilePhone": null, "phone": null }),
            "permissions" | "effectivePermissions" => json!({
                "viewPreviewVideo": true,
                "viewLiveVideo": true,
                "viewHistoricVideo": true,
                "administrator": false,
            }),
            "previewSettings" => json!({ "previewInterval": 1000 }),
            _ => continue,
        };
        body[include] = value;
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /api/v3.0/accounts[?include=timeZone]`: the user's own account (V3-SIM-30).
pub(crate) fn accounts(req: &Req<'_>) -> Result<Response, V3Error> {
    req.query
        .only(req.path, &["include", "sort", "pageToken", "pageSize"])?;
    let includes = req.query.includes(req.path, ACCOUNT_INCLUDES)?;
    if let Some(sort) = req.query.get("sort")
        && !matches!(sort, "+name" | "-name")
    {
        return Err(V3Error::wrong_value(
            req.path,
            "sort",
            "must be +name or -name",
        ));
    }
    let mut account = json!({
        "id": ACCOUNT_ID,
        "name": ACCOUNT_NAME,
        "editionId": "professional",
        "status": "active",
        "type": "endUserAccount",
    });
    if includes.contains(&"timeZone") {
        account["timeZone"] = json!({ "timeZone": ACCOUNT_TIME_ZONE });
    }
    if includes.contains(&"workingHours") {
        account["workingHours"] =
            json!({ "workDays": [1, 2, 3, 4, 5], "start": "08:00", "end": "18:00" });
    }
    let items: Vec<Value> = vec![account];
    let body = wire::page(&req.query, req.path, "accounts", items, Some(1))?;
    Ok(json_response(StatusCode::OK, &body))
}
