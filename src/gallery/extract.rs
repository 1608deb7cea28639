//! Extractors whose rejections are [`AppError`]s, so malformed URLs get the styled error page.

use axum::extract::FromRequestParts;

use super::error::AppError;

/// `axum::extract::Path` answering a malformed path with a 404 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` answering a malformed query with a 400 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);
