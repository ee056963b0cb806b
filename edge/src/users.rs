//! D1 queries of accounts, sessions, refresh tokens and API keys, each bound
//! (never formatted). Secrets arrive here already hashed.

use edgepix_core::account::{Plan, Quota, QuotaOverride, Role, Scope};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::bindings;
use crate::error::{ApiError, ApiResult};

fn d1(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::DB, source: e }
}

fn n(v: u64) -> JsValue {
    (v as f64).into()
}

fn stmt(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<D1PreparedStatement> {
    db.prepare(sql).bind(args).map_err(d1)
}

async fn first<T: for<'de> Deserialize<'de>>(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<Option<T>> {
    stmt(db, sql, args)?.first::<T>(None).await.map_err(d1)
}

async fn run(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<()> {
    stmt(db, sql, args)?.run().await.map_err(d1)?;
    Ok(())
}

/// An account as stored, without its password.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    /// `usr_...`.
    pub id: String,
    /// The normalised email.
    pub email: String,
    /// Its role.
    pub role: Role,
    /// Its plan.
    pub plan: Plan,
    /// Whether an admin suspended it.
    pub suspended: bool,
    /// An admin's exception to the plan's quota.
    pub quota_override: QuotaOverride,
    /// Unix seconds.
    pub created_at: u64,
}

#[derive(Deserialize)]
struct UserRow {
    id: String,
    email: String,
    role: String,
    plan: String,
    suspended_at: Option<f64>,
    created_at: f64,
    #[serde(default)]
    quota_bytes: Option<f64>,
    #[serde(default)]
    quota_jobs: Option<f64>,
    #[serde(default)]
    password: Option<String>,
}

impl UserRow {
    fn into_user(self) -> ApiResult<(User, Option<String>)> {
        let role = self.role.parse().map_err(|e: edgepix_core::account::UnknownName| ApiError::Corrupt(e.to_string()))?;
        let plan = self.plan.parse().map_err(|e: edgepix_core::account::UnknownName| ApiError::Corrupt(e.to_string()))?;
        let quota_override = QuotaOverride { bytes: self.quota_bytes.map(|b| b as u64), jobs_per_day: self.quota_jobs.map(|j| j as u32) };
        let user = User { id: self.id, email: self.email, role, plan, suspended: self.suspended_at.is_some(), quota_override, created_at: self.created_at as u64 };
        Ok((user, self.password))
    }
}

const USER_COLUMNS: &str = "id, email, role, plan, suspended_at, quota_bytes, quota_jobs, created_at";

/// Inserts an account unless the email is taken; says whether it did.
pub async fn insert_user(db: &D1Database, user: &User, password: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Id {
        #[allow(dead_code)]
        id: String,
    }
    let args = [user.id.as_str().into(), user.email.as_str().into(), password.into(), user.role.as_str().into(), user.plan.as_str().into(), n(user.created_at)];
    let row: Option<Id> = first(db, "INSERT INTO users (id, email, password, role, plan, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (email) DO NOTHING RETURNING id", &args).await?;
    Ok(row.is_some())
}

/// The account with `email` and its stored password hash.
pub async fn find_by_email(db: &D1Database, email: &str) -> ApiResult<Option<(User, String)>> {
    let row: Option<UserRow> = first(db, &format!("SELECT {USER_COLUMNS}, password FROM users WHERE email = ?1"), &[email.into()]).await?;
    row.map(|r| r.into_user().map(|(u, p)| (u, p.unwrap_or_default()))).transpose()
}

/// The account `id`.
pub async fn find_user(db: &D1Database, id: &str) -> ApiResult<Option<User>> {
    let row: Option<UserRow> = first(db, &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), &[id.into()]).await?;
    row.map(|r| r.into_user().map(|(u, _)| u)).transpose()
}

/// Replaces an account's password hash (a re-hash with new parameters).
pub async fn set_password(db: &D1Database, id: &str, password: &str) -> ApiResult<()> {
    run(db, "UPDATE users SET password = ?2 WHERE id = ?1", &[id.into(), password.into()]).await
}

/// Accounts newest first, after the `(created_at, id)` cursor.
pub async fn list_users(db: &D1Database, after: Option<(u64, &str)>, limit: u32) -> ApiResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE (?1 IS NULL OR created_at < ?1 OR (created_at = ?1 AND id < ?2)) ORDER BY created_at DESC, id DESC LIMIT ?3");
    let (t, id) = after.map_or((JsValue::NULL, JsValue::NULL), |(t, id)| (n(t), id.into()));
    let rows = stmt(db, &sql, &[t, id, limit.into()])?.all().await.map_err(d1)?.results::<UserRow>().map_err(d1)?;
    rows.into_iter().map(|r| r.into_user().map(|(u, _)| u)).collect()
}

/// What an admin changes on an account; `None` keeps a field.
#[derive(Default)]
pub struct UserChange {
    /// A new role.
    pub role: Option<Role>,
    /// A new plan.
    pub plan: Option<Plan>,
    /// Suspend (`true`) or reinstate (`false`).
    pub suspended: Option<bool>,
    /// A new quota override, replacing the old one.
    pub quota: Option<QuotaOverride>,
}

/// Changes an account's role, plan, suspension or quota override;
/// suspending also revokes every session.
pub async fn update_user(db: &D1Database, id: &str, change: &UserChange, now: u64) -> ApiResult<()> {
    let UserChange { role, plan, suspended, quota } = *change;
    let suspended_at = match suspended {
        None => JsValue::from_str("keep"),
        Some(true) => n(now),
        Some(false) => JsValue::NULL,
    };
    let args = [id.into(), role.map_or(JsValue::NULL, |r| r.as_str().into()), plan.map_or(JsValue::NULL, |p| p.as_str().into()), suspended_at];
    let mut batch = vec![stmt(
        db,
        "UPDATE users SET role = COALESCE(?2, role), plan = COALESCE(?3, plan), suspended_at = CASE WHEN ?4 = 'keep' THEN suspended_at ELSE ?4 END WHERE id = ?1",
        &args,
    )?];
    if let Some(q) = quota {
        let args = [id.into(), q.bytes.map_or(JsValue::NULL, n), q.jobs_per_day.map_or(JsValue::NULL, |j| n(u64::from(j)))];
        batch.push(stmt(db, "UPDATE users SET quota_bytes = ?2, quota_jobs = ?3 WHERE id = ?1", &args)?);
    }
    if suspended == Some(true) {
        batch.push(stmt(db, "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL", &[id.into(), n(now)])?);
    }
    db.batch(batch).await.map_err(d1)?;
    Ok(())
}

/// What an access token's session resolves to.
#[derive(Deserialize)]
pub struct SessionOwner {
    /// The account's current role.
    pub role: String,
    /// The account's current plan.
    pub plan: String,
    /// Set when the session is over.
    pub revoked_at: Option<f64>,
    /// When the session lapses without a refresh.
    pub expires_at: f64,
    /// Set when the account is suspended.
    pub suspended_at: Option<f64>,
}

/// Session `sid` of account `user_id`, with the account's current state.
pub async fn find_session(db: &D1Database, sid: &str, user_id: &str) -> ApiResult<Option<SessionOwner>> {
    first(
        db,
        "SELECT u.role AS role, u.plan AS plan, s.revoked_at AS revoked_at, s.expires_at AS expires_at, u.suspended_at AS suspended_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1 AND s.user_id = ?2",
        &[sid.into(), user_id.into()],
    )
    .await
}

/// Starts a session with its first refresh token.
pub async fn insert_session(db: &D1Database, sid: &str, user_id: &str, user_agent: &str, refresh_hash: &str, now: u64, expires_at: u64) -> ApiResult<()> {
    db.batch(vec![
        stmt(
            db,
            "INSERT INTO sessions (id, user_id, user_agent, created_at, last_used_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
            &[sid.into(), user_id.into(), user_agent.into(), n(now), n(expires_at)],
        )?,
        stmt(db, "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)", &[refresh_hash.into(), sid.into(), n(now), n(expires_at)])?,
    ])
    .await
    .map_err(d1)?;
    Ok(())
}

/// A refresh token with its session and account.
#[derive(Deserialize)]
pub struct RefreshRow {
    /// The session.
    pub session_id: String,
    /// The account.
    pub user_id: String,
    /// Unix seconds.
    pub expires_at: f64,
    /// Set once exchanged.
    pub used_at: Option<f64>,
    /// Set when the session is over.
    pub revoked_at: Option<f64>,
    /// Set when the account is suspended.
    pub suspended_at: Option<f64>,
}

/// The refresh token with this hash.
pub async fn find_refresh(db: &D1Database, hash: &str) -> ApiResult<Option<RefreshRow>> {
    first(
        db,
        "SELECT r.session_id AS session_id, s.user_id AS user_id, r.expires_at AS expires_at, r.used_at AS used_at, s.revoked_at AS revoked_at, u.suspended_at AS suspended_at \
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id JOIN users u ON u.id = s.user_id WHERE r.hash = ?1",
        &[hash.into()],
    )
    .await
}

/// Spends refresh token `old` and stores `new` in the same session, unless
/// `old` was spent meanwhile (a concurrent exchange): says whether it did.
pub async fn rotate_refresh(db: &D1Database, old: &str, new: &str, sid: &str, now: u64, expires_at: u64) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Hash {
        #[allow(dead_code)]
        hash: String,
    }
    let spent: Option<Hash> = first(db, "UPDATE refresh_tokens SET used_at = ?2 WHERE hash = ?1 AND used_at IS NULL RETURNING hash", &[old.into(), n(now)]).await?;
    if spent.is_none() {
        return Ok(false);
    }
    db.batch(vec![
        stmt(db, "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)", &[new.into(), sid.into(), n(now), n(expires_at)])?,
        stmt(db, "UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE id = ?1", &[sid.into(), n(now), n(expires_at)])?,
    ])
    .await
    .map_err(d1)?;
    Ok(true)
}

/// Ends session `sid`.
pub async fn revoke_session(db: &D1Database, sid: &str, now: u64) -> ApiResult<()> {
    run(db, "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", &[sid.into(), n(now)]).await
}

/// Ends every session of `user_id`.
pub async fn revoke_all_sessions(db: &D1Database, user_id: &str, now: u64) -> ApiResult<()> {
    run(db, "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL", &[user_id.into(), n(now)]).await
}

/// A live session as the account page lists it.
#[derive(Deserialize, Serialize)]
pub struct SessionView {
    /// `ses_...`.
    pub id: String,
    /// The browser or client that signed in.
    pub user_agent: String,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last refresh.
    pub last_used_at: u64,
    /// Whether it is the session of the request.
    #[serde(default)]
    pub current: bool,
}

/// The live sessions of `user_id`, newest first.
pub async fn list_sessions(db: &D1Database, user_id: &str, now: u64) -> ApiResult<Vec<SessionView>> {
    stmt(
        db,
        "SELECT id, user_agent, created_at, last_used_at FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC LIMIT 100",
        &[user_id.into(), n(now)],
    )?
    .all()
    .await
    .map_err(d1)?
    .results::<SessionView>()
    .map_err(d1)
}

/// An API key as listed (never its secret).
#[derive(Clone, Debug, Serialize)]
pub struct ApiKey {
    /// `key_...`.
    pub id: String,
    /// The creator's label.
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds, `null` before the first use.
    pub last_used_at: Option<u64>,
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    created_at: f64,
    last_used_at: Option<f64>,
}

impl KeyRow {
    fn into_key(self) -> ApiResult<ApiKey> {
        let scopes = Scope::parse_list(&self.scopes).map_err(|e| ApiError::Corrupt(e.to_string()))?;
        Ok(ApiKey { id: self.id, name: self.name, prefix: self.prefix, scopes, created_at: self.created_at as u64, last_used_at: self.last_used_at.map(|t| t as u64) })
    }
}

/// Stores a new key under its secret's hash.
pub async fn insert_key(db: &D1Database, user_id: &str, key: &ApiKey, hash: &str) -> ApiResult<()> {
    let args = [key.id.as_str().into(), user_id.into(), key.name.as_str().into(), key.prefix.as_str().into(), hash.into(), Scope::join(&key.scopes).into(), n(key.created_at)];
    run(db, "INSERT INTO api_keys (id, user_id, name, prefix, hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &args).await
}

/// The live keys of `user_id`, newest first.
pub async fn list_keys(db: &D1Database, user_id: &str) -> ApiResult<Vec<ApiKey>> {
    let rows = stmt(db, "SELECT id, name, prefix, scopes, created_at, last_used_at FROM api_keys WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC", &[user_id.into()])?
        .all()
        .await
        .map_err(d1)?
        .results::<KeyRow>()
        .map_err(d1)?;
    rows.into_iter().map(KeyRow::into_key).collect()
}

/// Revokes `user_id`'s key `id` (nothing when it is not theirs).
pub async fn revoke_key(db: &D1Database, user_id: &str, id: &str, now: u64) -> ApiResult<()> {
    run(db, "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL", &[id.into(), user_id.into(), n(now)]).await
}

/// What an API key resolves to.
#[derive(Deserialize)]
pub struct KeyOwner {
    /// The key's id.
    pub id: String,
    /// Its scopes.
    pub scopes: String,
    /// The account.
    pub user_id: String,
    /// The account's role.
    pub role: String,
    /// The account's plan.
    pub plan: String,
    /// Set when the account is suspended.
    pub suspended_at: Option<f64>,
}

/// The live key with this secret hash, and marks it used (at most once a
/// minute, to keep writes down).
pub async fn use_key(db: &D1Database, hash: &str, now: u64) -> ApiResult<Option<KeyOwner>> {
    let owner: Option<KeyOwner> = first(
        db,
        "SELECT k.id AS id, k.scopes AS scopes, k.user_id AS user_id, u.role AS role, u.plan AS plan, u.suspended_at AS suspended_at \
         FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ?1 AND k.revoked_at IS NULL",
        &[hash.into()],
    )
    .await?;
    if let Some(o) = &owner {
        run(db, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 60)", &[o.id.as_str().into(), n(now)]).await?;
    }
    Ok(owner)
}

/// How many live keys `user_id` has.
pub async fn count_keys(db: &D1Database, user_id: &str) -> ApiResult<u32> {
    #[derive(Deserialize)]
    struct N {
        n: u32,
    }
    Ok(first::<N>(db, "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ?1 AND revoked_at IS NULL", &[user_id.into()]).await?.map_or(0, |r| r.n))
}

/// What an account uses of its quota.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
pub struct Usage {
    /// Bytes of originals.
    pub bytes: u64,
    /// Assets.
    pub assets: u64,
    /// Jobs started in the last 24 hours.
    pub jobs_24h: u64,
}

/// The account's usage at `now` and its quota (its `plan`'s, with the
/// account's override), in one query.
pub async fn allowance(db: &D1Database, user_id: &str, plan: Plan, now: u64) -> ApiResult<(Usage, Quota)> {
    #[derive(Deserialize)]
    struct Row {
        bytes: Option<f64>,
        assets: f64,
        jobs_24h: f64,
        quota_bytes: Option<f64>,
        quota_jobs: Option<f64>,
    }
    let row: Option<Row> = first(
        db,
        "SELECT (SELECT SUM(bytes) FROM assets WHERE owner = ?1) AS bytes, (SELECT COUNT(*) FROM assets WHERE owner = ?1) AS assets, \
         (SELECT COUNT(*) FROM jobs WHERE owner = ?1 AND created_at > ?2) AS jobs_24h, \
         (SELECT quota_bytes FROM users WHERE id = ?1) AS quota_bytes, (SELECT quota_jobs FROM users WHERE id = ?1) AS quota_jobs",
        &[user_id.into(), n(now.saturating_sub(24 * 3600))],
    )
    .await?;
    let Some(r) = row else { return Ok((Usage::default(), plan.quota())) };
    let usage = Usage { bytes: r.bytes.unwrap_or(0.0) as u64, assets: r.assets as u64, jobs_24h: r.jobs_24h as u64 };
    let ov = QuotaOverride { bytes: r.quota_bytes.map(|b| b as u64), jobs_per_day: r.quota_jobs.map(|j| j as u32) };
    Ok((usage, plan.quota().with(ov)))
}
