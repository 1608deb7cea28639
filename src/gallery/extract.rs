//! Extractors whose rejections are [`AppError`]s, so malformed URLs and forms get the styled
//! error page.

use axum::extract::{FromRequest, FromRequestParts};

use super::error::AppError;

/// `axum::extract::Path` answering a malformed path with a 404 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` answering a malformed query with a 400 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::Form` answering a malformed form with a 400 page.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);
