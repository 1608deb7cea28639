//! The frame around every page, for the visitor at hand: the demo banner, EEN's status, and
//! who is signed in (with the admin's link and the sign-out form).

use super::guard::Visitor;
use super::state::AppState;
use super::views::{AccountView, Layout};

/// The frame of a page for `visitor`.
pub fn layout(state: &AppState, visitor: &Visitor) -> Layout {
    let base = state.setup.base_path();
    let account = visitor.user().map(|user| AccountView {
        name: user.name.clone(),
        admin_href: (user.is_admin() && state.account.can_connect()).then(|| format!("{base}/een")),
        sign_out_path: user.has_session.then(|| format!("{base}/logout")),
        csrf: user.csrf.clone(),
    });
    Layout::new(state.settings.demo, state.health.status(), base)
        .with_account(account)
        .with_search(visitor.may_view())
}
