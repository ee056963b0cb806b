//! Accounts and access: who may do what, written once for every tier.
//!
//! The Worker stores accounts, sessions and API keys in D1; this module holds
//! the rules it applies to them, so that they are unit-tested natively:
//! - [`email`]: normalising and checking addresses;
//! - [`password`]: password rules and the stored KDF hash;
//! - [`jwt`]: Ed25519-signed access tokens and their key ring;
//! - [`token`]: opaque refresh tokens and API keys, stored hashed;
//! - [`web`]: the refresh cookie and the CSRF origin check.
//!
//! [`Role`], [`Scope`] and [`Principal::allows`] are the one place that
//! decides whether an identity may do something.

pub mod email;
pub mod jwt;
pub mod password;
pub mod token;
pub mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an account is, by increasing power.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads its own account and public content.
    Viewer,
    /// Owns assets, policies, jobs and games.
    Creator,
    /// Everything, plus moderation and any creator's resources.
    Admin,
}

impl Role {
    /// Every role, in order.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Creator, Role::Admin];

    /// The role as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Creator => "creator",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may hold `scope` at all.
    pub fn permits(self, scope: Scope) -> bool {
        // Every scope today concerns owned resources, which viewers lack.
        let _ = scope;
        self >= Role::Creator
    }
}

/// An account's plan: what it may store and run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// The default plan.
    Free,
    /// The paid plan (set by an admin until payments land).
    Pro,
}

impl Plan {
    /// Every plan.
    pub const ALL: [Plan; 2] = [Plan::Free, Plan::Pro];

    /// The plan as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
        }
    }

    /// The plan's quota.
    pub const fn quota(self) -> Quota {
        match self {
            Plan::Free => Quota { bytes: 500 << 20, jobs_per_day: 200 },
            Plan::Pro => Quota { bytes: 50 << 30, jobs_per_day: 20_000 },
        }
    }
}

/// What a plan allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Quota {
    /// Bytes of originals an account may store.
    pub bytes: u64,
    /// Background jobs an account may start in any 24 hours.
    pub jobs_per_day: u32,
}

impl Quota {
    /// This quota with an admin's per-account override applied.
    pub fn with(self, ov: QuotaOverride) -> Quota {
        Quota { bytes: ov.bytes.unwrap_or(self.bytes), jobs_per_day: ov.jobs_per_day.unwrap_or(self.jobs_per_day) }
    }
}

/// An admin's per-account exception to its plan's quota: each field left
/// out keeps the plan's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaOverride {
    /// Bytes of originals, instead of the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Jobs per 24 hours, instead of the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs_per_day: Option<u32>,
}

/// A permission that API keys are granted one by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Read assets, their detections and jobs.
    #[serde(rename = "assets:read")]
    AssetsRead,
    /// Upload, delete and analyse assets.
    #[serde(rename = "assets:write")]
    AssetsWrite,
    /// Read safe-blur policies.
    #[serde(rename = "policies:read")]
    PoliciesRead,
    /// Write and delete safe-blur policies.
    #[serde(rename = "policies:write")]
    PoliciesWrite,
    /// Create games.
    #[serde(rename = "games:write")]
    GamesWrite,
}

impl Scope {
    /// Every scope, in documentation order.
    pub const ALL: [Scope; 5] = [Scope::AssetsRead, Scope::AssetsWrite, Scope::PoliciesRead, Scope::PoliciesWrite, Scope::GamesWrite];

    /// The scope as written in keys and docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::AssetsRead => "assets:read",
            Scope::AssetsWrite => "assets:write",
            Scope::PoliciesRead => "policies:read",
            Scope::PoliciesWrite => "policies:write",
            Scope::GamesWrite => "games:write",
        }
    }

    /// Parses a space- or comma-separated list, sorted and deduplicated.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, UnknownName> {
        let mut out = s.split([' ', ',']).filter(|p| !p.is_empty()).map(str::parse).collect::<Result<Vec<Scope>, _>>()?;
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Writes a list as [`Scope::parse_list`] reads it.
    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// A name that is not one of an enum's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}; allowed: {allowed}")]
pub struct UnknownName {
    /// What was parsed (`role`, `plan`, `scope`).
    pub kind: &'static str,
    /// The name given.
    pub name: String,
    /// The allowed names, comma-separated.
    pub allowed: String,
}

macro_rules! from_str_by_name {
    ($t:ty, $kind:literal) => {
        impl FromStr for $t {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                <$t>::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| UnknownName {
                    kind: $kind,
                    name: s.chars().take(64).collect(),
                    allowed: <$t>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
from_str_by_name!(Role, "role");
from_str_by_name!(Plan, "plan");
from_str_by_name!(Scope, "scope");

/// How a request authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An access token of a session (a refresh-token family).
    Session {
        /// The session id.
        id: String,
    },
    /// An API key with its scopes.
    ApiKey {
        /// The key's id.
        id: String,
        /// What the key was granted.
        scopes: Vec<Scope>,
    },
}

/// An authenticated caller, as read from D1 for this request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The account id (the owner of everything it creates).
    pub user_id: String,
    /// The account's current role.
    pub role: Role,
    /// The account's current plan.
    pub plan: Plan,
    /// How it authenticated.
    pub credential: Credential,
}

/// Why a principal may not do something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role does not allow the scope.
    #[error("the {role} role may not use {scope}")]
    Role {
        /// The caller's role.
        role: Role,
        /// The scope needed.
        scope: Scope,
    },
    /// The API key was not granted the scope.
    #[error("this API key lacks the {0} scope")]
    KeyScope(Scope),
    /// The route needs a signed-in session, not an API key.
    #[error("this route needs an access token from a signed-in session, not an API key")]
    SessionRequired,
    /// The route is for admins.
    #[error("this route is for admins")]
    AdminOnly,
}

impl Principal {
    /// Whether the caller may use `scope`: its role must permit it and, for
    /// an API key, the key must have been granted it.
    pub fn allows(&self, scope: Scope) -> Result<(), Denied> {
        if !self.role.permits(scope) {
            return Err(Denied::Role { role: self.role, scope });
        }
        match &self.credential {
            Credential::ApiKey { scopes, .. } if !scopes.contains(&scope) => Err(Denied::KeyScope(scope)),
            _ => Ok(()),
        }
    }

    /// The session id, or [`Denied::SessionRequired`] for an API key.
    pub fn session(&self) -> Result<&str, Denied> {
        match &self.credential {
            Credential::Session { id } => Ok(id),
            Credential::ApiKey { .. } => Err(Denied::SessionRequired),
        }
    }

    /// Passes for admins only.
    pub fn admin(&self) -> Result<(), Denied> {
        if self.role == Role::Admin { Ok(()) } else { Err(Denied::AdminOnly) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, credential: Credential) -> Principal {
        Principal { user_id: "usr_x".into(), role, plan: Plan::Free, credential }
    }

    #[test]
    fn roles_and_key_scopes_both_bound_what_a_caller_may_do() {
        let session = Credential::Session { id: "s".into() };
        assert_eq!(principal(Role::Viewer, session.clone()).allows(Scope::AssetsWrite), Err(Denied::Role { role: Role::Viewer, scope: Scope::AssetsWrite }));
        for scope in Scope::ALL {
            assert_eq!(principal(Role::Creator, session.clone()).allows(scope), Ok(()));
            assert_eq!(principal(Role::Admin, session.clone()).allows(scope), Ok(()));
        }
        let key = Credential::ApiKey { id: "k".into(), scopes: vec![Scope::AssetsRead] };
        let p = principal(Role::Creator, key);
        assert_eq!(p.allows(Scope::AssetsRead), Ok(()));
        assert_eq!(p.allows(Scope::AssetsWrite), Err(Denied::KeyScope(Scope::AssetsWrite)));
        assert_eq!(p.session(), Err(Denied::SessionRequired));
        assert_eq!(p.admin(), Err(Denied::AdminOnly));
        // A key keeps its scopes, but a demoted owner loses them.
        let demoted = principal(Role::Viewer, Credential::ApiKey { id: "k".into(), scopes: vec![Scope::AssetsRead] });
        assert!(demoted.allows(Scope::AssetsRead).is_err());
    }

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_allowed() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        for p in Plan::ALL {
            assert_eq!(p.as_str().parse::<Plan>(), Ok(p));
        }
        let e = "superuser".parse::<Role>().unwrap_err();
        assert_eq!(e.to_string(), "unknown role \"superuser\"; allowed: viewer, creator, admin");
        assert_eq!(Scope::parse_list("assets:write assets:read,assets:read").unwrap(), vec![Scope::AssetsRead, Scope::AssetsWrite]);
        assert!(Scope::parse_list("assets:read nope").is_err());
        assert_eq!(Scope::join(&[Scope::AssetsRead, Scope::GamesWrite]), "assets:read games:write");
        assert_eq!(serde_json::to_string(&Scope::PoliciesWrite).unwrap(), "\"policies:write\"");
    }

    #[test]
    fn pro_allows_more_than_free() {
        assert!(Plan::Pro.quota().bytes > Plan::Free.quota().bytes);
        assert!(Plan::Pro.quota().jobs_per_day > Plan::Free.quota().jobs_per_day);
        let free = Plan::Free.quota();
        assert_eq!(free.with(QuotaOverride::default()), free);
        let ov = QuotaOverride { bytes: Some(10), jobs_per_day: None };
        assert_eq!(free.with(ov), Quota { bytes: 10, jobs_per_day: free.jobs_per_day });
        assert!(serde_json::from_str::<QuotaOverride>(r#"{"bytes":1,"jobs":2}"#).is_err());
    }
}
