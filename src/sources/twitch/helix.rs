//! The Helix calls the sources make: create a subscription (on a WebSocket session or a webhook), look up
//! channels by login.

use super::auth::{json_ok, status_error, ApiError, TwitchHttp};
use serde::Deserialize;
use serde_json::Value;

/// What creating one subscription came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// 202: enabled.
    Enabled,
    /// 409: it already exists on this session (after a requested reconnect it moved with the session).
    AlreadyThere,
}

/// A channel as `Get Users` names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub id: String,
    pub login: String,
}

#[derive(Deserialize)]
struct Data<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

impl TwitchHttp {
    fn helix(&self, method: reqwest::Method, path: &str, access: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/{path}", self.endpoints.api))
            .bearer_auth(access)
            .header("Client-Id", &self.client_id)
    }

    /// `POST /eventsub/subscriptions`.
    pub async fn create_subscription(
        &self,
        access: &str,
        body: &Value,
    ) -> Result<Created, ApiError> {
        let req = self
            .helix(reqwest::Method::POST, "eventsub/subscriptions", access)
            .json(body);
        match self.exchange(req).await? {
            (200..=299, _) => Ok(Created::Enabled),
            (409, _) => Ok(Created::AlreadyThere),
            (status, body) => Err(status_error(status, &body)),
        }
    }

    /// `GET /users?login=…` for many logins (100 a request): the channels Twitch knows; a login it does not know
    /// is missing from the answer.
    pub async fn users_by_login(
        &self,
        access: &str,
        logins: &[String],
    ) -> Result<Vec<User>, ApiError> {
        let mut users = Vec::with_capacity(logins.len());
        for chunk in logins.chunks(100) {
            let query: Vec<(&str, &str)> = chunk.iter().map(|l| ("login", l.as_str())).collect();
            let req = self
                .helix(reqwest::Method::GET, "users", access)
                .query(&query);
            let got: Data<User> = json_ok(self.exchange(req).await?)?;
            users.extend(got.data);
        }
        Ok(users)
    }

    /// `GET /users?login=`: the channel, or `None` when Twitch knows no such login.
    pub async fn user_by_login(&self, access: &str, login: &str) -> Result<Option<User>, ApiError> {
        let req = self
            .helix(reqwest::Method::GET, "users", access)
            .query(&[("login", login)]);
        let users: Data<User> = json_ok(self.exchange(req).await?)?;
        Ok(users.data.into_iter().next())
    }
}
