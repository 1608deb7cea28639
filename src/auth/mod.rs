//! Who may use the gallery: the users file (`users`) and `een-gallery user …` (`cli`).
//! Sign-in itself (sessions, the login page) builds on these (issue 14, in progress).

pub mod cli;
pub mod users;

pub use users::{Role, User, Users, UsersError};
