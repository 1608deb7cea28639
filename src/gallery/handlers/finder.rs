//! `GET /cameras`: every camera of the account, to find one by name: filtered by a name (or
//! id) substring and by status, sorted by name, a page at a time for large accounts.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tokio::time::Instant;

use super::{html, layout};
use crate::een::Camera;
use crate::gallery::error::{AppError, Result};
use crate::gallery::extract::Query;
use crate::gallery::guard::Visitor;
use crate::gallery::state::AppState;
use crate::gallery::views::{self, CameraRow, CamerasPage, StatusView};
use crate::timestamp::EenTimestamp;

/// Cameras on one page of the list.
pub const ROWS_PER_PAGE: usize = 48;

/// Longest name filter: longer than any camera name worth typing.
const MAX_QUERY_CHARS: usize = 100;

/// Query of the camera list. Every field arrives as text, so that a malformed one is a clear
/// 400, not a generic rejection.
#[derive(Debug, Deserialize)]
pub struct FinderQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

/// Which cameras a status filter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusFilter {
    All,
    Online,
    Offline,
    Off,
}

impl StatusFilter {
    fn parse(text: Option<&str>) -> Result<Self> {
        Ok(match text.unwrap_or("") {
            "" | "all" => StatusFilter::All,
            "online" => StatusFilter::Online,
            "offline" => StatusFilter::Offline,
            "off" => StatusFilter::Off,
            _ => return Err(AppError::BadRequest("status")),
        })
    }

    fn keeps(self, status: &StatusView) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Online => status.class == "online",
            StatusFilter::Offline => status.class == "offline",
            StatusFilter::Off => status.class == "off",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Online => "online",
            StatusFilter::Offline => "offline",
            StatusFilter::Off => "off",
        }
    }
}

/// `GET /cameras?q=…&status=…&page=…`.
pub async fn cameras(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<FinderQuery>,
) -> Result<Response> {
    // Everything parses before the camera list is asked for.
    let needle = query.q.as_deref().unwrap_or("").trim().to_owned();
    if needle.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest("q"));
    }
    let status = StatusFilter::parse(query.status.as_deref())?;
    let page: usize = match query.page.as_deref().filter(|p| !p.is_empty()) {
        None => 1,
        Some(text) => text
            .parse()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or(AppError::BadRequest("page"))?,
    };

    let deadline = Instant::now() + state.settings.page_deadline;
    let list = state.directory.get(deadline).await?;
    let lowered = needle.to_lowercase();
    let mut found: Vec<&Camera> = list
        .attached()
        .iter()
        .filter_map(|esn| list.camera(esn))
        .filter(|camera| {
            lowered.is_empty()
                || camera.name.to_lowercase().contains(&lowered)
                || camera.esn.as_str().contains(&lowered)
        })
        .filter(|camera| status.keeps(&StatusView::from(camera.status)))
        .collect();
    found.sort_by_cached_key(|camera| (camera.name.to_lowercase(), camera.esn.clone()));

    let total = found.len();
    let pages = total.div_ceil(ROWS_PER_PAGE).max(1);
    if page > pages {
        return Err(AppError::NoSuchListPage);
    }
    let base = state.setup.base_path();
    let now = EenTimestamp::now();
    let rows = found
        .iter()
        .skip((page - 1) * ROWS_PER_PAGE)
        .take(ROWS_PER_PAGE)
        .map(|camera| CameraRow {
            esn: camera.esn.to_string(),
            name: camera.name.clone(),
            href: views::camera_href(base, &camera.esn),
            preview_src: format!("{}/preview.jpg", views::camera_href(base, &camera.esn)),
            status: StatusView::from(camera.status),
            time_zone: views::time_zone_label(&camera.time_zone, now),
        })
        .collect();
    let link = |page: usize| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &needle)
            .append_pair("status", status.as_str())
            .append_pair("page", &page.to_string())
            .finish();
        format!("{base}/cameras?{query}")
    };
    let page_view = CamerasPage {
        layout: layout(&state, &visitor),
        action: format!("{base}/cameras"),
        query: needle.clone(),
        status: status.as_str(),
        summary: summary(total, list.attached().len(), page, pages),
        rows,
        previous_href: (page > 1).then(|| link(page - 1)),
        next_href: (page < pages).then(|| link(page + 1)),
    };
    html(&page_view)
}

/// "12 of 200 cameras (page 1 of 1)".
fn summary(found: usize, total: usize, page: usize, pages: usize) -> String {
    let cameras = if total == 1 { "camera" } else { "cameras" };
    let paging = if pages > 1 {
        format!(", page {page} of {pages}")
    } else {
        String::new()
    };
    if found == total {
        format!("{total} {cameras}{paging}.")
    } else {
        format!("{found} of {total} {cameras} match{paging}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_naturally() {
        assert_eq!(summary(1, 1, 1, 1), "1 camera.");
        assert_eq!(summary(200, 200, 2, 5), "200 cameras, page 2 of 5.");
        assert_eq!(summary(3, 200, 1, 1), "3 of 200 cameras match.");
    }

    #[test]
    fn status_filters_are_the_four_names() {
        assert_eq!(StatusFilter::parse(None).unwrap(), StatusFilter::All);
        assert_eq!(StatusFilter::parse(Some("off")).unwrap(), StatusFilter::Off);
        assert!(StatusFilter::parse(Some("Online")).is_err());
    }
}
