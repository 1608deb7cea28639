//! `een-gallery user add|passwd|remove|list`: the users file edited from a terminal. A
//! password comes from a prompt (asked twice) when stdin is a terminal, else from stdin's
//! first line, so scripts can pipe it in; it is never an argument (arguments show in `ps`).

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;

use secrecy::SecretString;

use super::users::{Role, Users, UsersError};

/// Arguments of `een-gallery user`.
#[derive(Debug, clap::Args)]
pub struct UserArgs {
    /// The users file; default DATA_DIR/users.
    #[arg(long, env = "AUTH_USERS_FILE", global = true)]
    pub users_file: Option<PathBuf>,
    /// Where the gallery keeps its state.
    #[arg(long, env = "DATA_DIR", default_value = crate::config::DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: UserAction,
}

/// One change to the users file.
#[derive(Debug, clap::Subcommand)]
pub enum UserAction {
    /// Add a user (password from a prompt, or stdin when it is not a terminal).
    Add {
        /// The name to sign in with.
        name: String,
        /// What the user may do.
        #[arg(long, value_enum, default_value_t = Role::Viewer)]
        role: Role,
    },
    /// Set a user's password.
    Passwd {
        /// The user.
        name: String,
    },
    /// Remove a user.
    Remove {
        /// The user.
        name: String,
    },
    /// List the users and their roles.
    List,
}

/// Why `een-gallery user` failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The users file or the change was refused.
    #[error(transparent)]
    Users(#[from] UsersError),
    /// No password could be read.
    #[error("cannot read the password: {0}")]
    Password(std::io::Error),
    /// The two prompted passwords differ.
    #[error("the passwords do not match")]
    Mismatch,
}

impl UserArgs {
    /// The users file these arguments name.
    pub fn path(&self) -> PathBuf {
        self.users_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("users"))
    }
}

/// Runs the command; what it prints goes to `out`.
pub fn run(args: &UserArgs, out: &mut impl std::io::Write) -> Result<(), CliError> {
    let path = args.path();
    let mut users = Users::load(&path)?;
    match &args.action {
        UserAction::Add { name, role } => {
            users.add(name, *role, &read_password(name)?)?;
            users.save(&path)?;
            let _ = writeln!(out, "added {name} ({role}) to {}", path.display());
        }
        UserAction::Passwd { name } => {
            users.set_password(name, &read_password(name)?)?;
            users.save(&path)?;
            let _ = writeln!(out, "changed the password of {name}");
        }
        UserAction::Remove { name } => {
            users.remove(name)?;
            users.save(&path)?;
            let _ = writeln!(out, "removed {name}");
        }
        UserAction::List => {
            for user in users.iter() {
                let _ = writeln!(out, "{}\t{}", user.name, user.role);
            }
        }
    }
    Ok(())
}

fn read_password(name: &str) -> Result<SecretString, CliError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))
            .map_err(CliError::Password)?;
        let again = rpassword::prompt_password("Again: ").map_err(CliError::Password)?;
        if first != again {
            return Err(CliError::Mismatch);
        }
        return Ok(SecretString::from(first));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CliError::Password)?;
    Ok(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}
