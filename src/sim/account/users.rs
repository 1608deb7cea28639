//! The demo account's users: the demo user, and one user per login state (SIM-11).

/// The demo user's login name (the public EEN demo account's, as the original app used).
pub const DEMO_USERNAME: &str = "demo@een.com";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "bettercloud";

/// An account's state, checked at authenticate (SIM-11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AccountState {
    Active,
    Suspended,
    Inactive,
    Pending,
}

/// A user's own state (SIM-11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserState {
    Active,
    Disabled,
    Pending,
}

/// A user who can log in.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) username: &'static str,
    password: &'static str,
    /// The user id (8 lowercase hex), also `user_id`.
    pub(crate) id: &'static str,
    pub(crate) first_name: &'static str,
    pub(crate) last_name: &'static str,
    account: AccountState,
    state: UserState,
}

/// Usernames whose authenticate answers a fixed status (SIM-11). Each has the demo password,
/// so the status comes from the account or user state, not the credentials.
pub const LOGIN_STATE_USERS: [(&str, u16); 5] = [
    ("suspended@een.test", 402),
    ("inactive@een.test", 460),
    ("pending-account@een.test", 461),
    ("disabled@een.test", 412),
    ("pending-user@een.test", 462),
];

/// Every user who can log in: the demo user first, then one per login state.
pub(crate) fn users() -> Vec<User> {
    let demo = User {
        username: DEMO_USERNAME,
        password: DEMO_PASSWORD,
        id: "cafe8174",
        first_name: "Demo",
        last_name: "User",
        account: AccountState::Active,
        state: UserState::Active,
    };
    let states = [
        (AccountState::Suspended, UserState::Active, "ca5e0402"),
        (AccountState::Inactive, UserState::Active, "ca5e0460"),
        (AccountState::Pending, UserState::Active, "ca5e0461"),
        (AccountState::Active, UserState::Disabled, "ca5e0412"),
        (AccountState::Active, UserState::Pending, "ca5e0462"),
    ];
    let mut all = vec![demo];
    for ((username, _), (account, state, id)) in LOGIN_STATE_USERS.iter().zip(states) {
        all.push(User {
            username,
            password: DEMO_PASSWORD,
            id,
            first_name: "Test",
            last_name: "User",
            account,
            state,
        });
    }
    all
}

/// Why a login is refused (SIM-11); each API words it in its own envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// Unknown user or wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The account is suspended.
    #[error("account is suspended")]
    AccountSuspended,
    /// The account is inactive.
    #[error("account is inactive")]
    AccountInactive,
    /// The account is pending.
    #[error("account is pending")]
    AccountPending,
    /// The user is disabled.
    #[error("user is disabled")]
    UserDisabled,
    /// The user is pending.
    #[error("user is pending")]
    UserPending,
}

impl Refusal {
    /// The HTTP status EEN API v1 answers it with.
    pub(crate) fn status(self) -> u16 {
        match self {
            Refusal::InvalidCredentials => 401,
            Refusal::AccountSuspended => 402,
            Refusal::AccountInactive => 460,
            Refusal::AccountPending => 461,
            Refusal::UserDisabled => 412,
            Refusal::UserPending => 462,
        }
    }
}

/// Why a login is refused, in the documented precedence order.
pub(crate) fn check_login(user: Option<&User>, password: &str) -> Result<(), Refusal> {
    let Some(user) = user else {
        return Err(Refusal::InvalidCredentials);
    };
    // "Thrown before 401 if the username is valid and account is active."
    if user.account == AccountState::Active && user.state == UserState::Pending {
        return Err(Refusal::UserPending);
    }
    if user.password != password {
        return Err(Refusal::InvalidCredentials);
    }
    match (user.account, user.state) {
        (AccountState::Suspended, _) => Err(Refusal::AccountSuspended),
        (AccountState::Inactive, _) => Err(Refusal::AccountInactive),
        (AccountState::Pending, _) => Err(Refusal::AccountPending),
        (_, UserState::Disabled) => Err(Refusal::UserDisabled),
        (_, UserState::Pending) => Err(Refusal::UserPending),
        (AccountState::Active, UserState::Active) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_11_login_states_follow_the_documented_precedence() {
        let users = users();
        let find = |name: &str| users.iter().find(|u| u.username == name);
        assert!(check_login(find(DEMO_USERNAME), DEMO_PASSWORD).is_ok());
        assert_eq!(
            check_login(find(DEMO_USERNAME), "wrong")
                .unwrap_err()
                .status(),
            401
        );
        assert_eq!(
            check_login(find("nobody@een.test"), DEMO_PASSWORD)
                .unwrap_err()
                .status(),
            401
        );
        for (name, status) in LOGIN_STATE_USERS {
            assert_eq!(
                check_login(find(name), DEMO_PASSWORD).unwrap_err().status(),
                status
            );
        }
        // A pending user of an active account hears 462 even with a wrong password; others 401.
        assert_eq!(
            check_login(find("pending-user@een.test"), "x")
                .unwrap_err()
                .status(),
            462
        );
        assert_eq!(
            check_login(find("suspended@een.test"), "x")
                .unwrap_err()
                .status(),
            401
        );
    }
}
