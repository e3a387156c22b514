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

/// A webhook subscription of the app, as `Get EventSub Subscriptions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSubscription {
    pub id: String,
    pub status: String,
    pub broadcaster_user_id: String,
    pub callback: String,
}

#[derive(Deserialize)]
struct ListedSub {
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    condition: Value,
    #[serde(default)]
    transport: Value,
}

#[derive(Deserialize)]
struct Listed {
    #[serde(default = "Vec::new")]
    data: Vec<ListedSub>,
    #[serde(default)]
    pagination: Value,
}

/// Pages of `Get EventSub Subscriptions` read at most (100 each).
const MAX_PAGES: usize = 100;

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

    /// The app's webhook subscriptions of one type (`GET /eventsub/subscriptions?type=`, every page).
    pub async fn webhook_subscriptions(
        &self,
        access: &str,
        sub_type: &str,
    ) -> Result<Vec<WebhookSubscription>, ApiError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("type", sub_type.to_string())];
            if let Some(a) = &after {
                query.push(("after", a.clone()));
            }
            let req = self
                .helix(reqwest::Method::GET, "eventsub/subscriptions", access)
                .query(&query);
            let page: Listed = json_ok(self.exchange(req).await?)?;
            out.extend(
                (page.data.into_iter())
                    .filter(|s| s.transport["method"] == "webhook")
                    .map(|s| WebhookSubscription {
                        id: s.id,
                        status: s.status,
                        broadcaster_user_id: (s.condition["broadcaster_user_id"].as_str())
                            .unwrap_or("")
                            .to_string(),
                        callback: s.transport["callback"].as_str().unwrap_or("").to_string(),
                    }),
            );
            match page.pagination["cursor"].as_str() {
                Some(c) if !c.is_empty() => after = Some(c.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `DELETE /eventsub/subscriptions?id=`.
    pub async fn delete_subscription(&self, access: &str, id: &str) -> Result<(), ApiError> {
        let req = self
            .helix(reqwest::Method::DELETE, "eventsub/subscriptions", access)
            .query(&[("id", id)]);
        match self.exchange(req).await? {
            (200..=299 | 404, _) => Ok(()),
            (status, body) => Err(status_error(status, &body)),
        }
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
