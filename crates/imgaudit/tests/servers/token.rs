//! An in-process Docker token server (the `auth.token` flow of distribution): it issues ES256
//! JWTs signed with `ring`, whose header carries the signing certificate in `x5c`; the registry
//! trusts that certificate through its `rootcertbundle`.
//!
//! Policy: Basic credentials `user:pass` get pull and push on every repository; anonymous
//! requests get pull on repositories under `public/` and nothing elsewhere (an empty access
//! list, which the registry answers with 401); wrong credentials get 401 here.

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

use super::http::{Server, read_request, respond};
use super::tls::SigningIdentity;

/// The `service` (JWT audience) the registry is configured with.
pub(crate) const SERVICE: &str = "imgaudit-test-registry";
/// The `issuer` the registry trusts.
pub(crate) const ISSUER: &str = "imgaudit-test-token-server";
/// Lifetime of the tokens, in seconds.
const EXPIRES_IN: u64 = 300;

/// How many token requests the server answered, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TokenRequests {
    /// Without credentials (granted `public/` pulls only).
    pub(crate) anonymous: usize,
    /// With the right credentials.
    pub(crate) authenticated: usize,
    /// With wrong credentials (answered 401).
    pub(crate) rejected: usize,
}

/// One token issued: who asked, the scopes asked for, the access granted.
#[derive(Debug, Clone)]
pub(crate) struct TokenGrant {
    pub(crate) account: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) access: Value,
}

struct State {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    x5c: String,
    user: String,
    password: String,
    counts: Mutex<TokenRequests>,
    grants: Mutex<Vec<TokenGrant>>,
}

#[derive(Debug)]
pub(crate) struct TokenServer {
    server: Server,
    state: Arc<State>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    pub(crate) fn start(identity: &SigningIdentity, user: &str, password: &str) -> TokenServer {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &identity.pkcs8, &rng)
            .unwrap_or_else(|error| panic!("the token signing key is unusable: {error}"));
        let state = Arc::new(State {
            key,
            rng,
            x5c: STANDARD.encode(&identity.cert_der),
            user: user.to_owned(),
            password: password.to_owned(),
            counts: Mutex::new(TokenRequests::default()),
            grants: Mutex::new(Vec::new()),
        });
        let server = {
            let state = Arc::clone(&state);
            Server::start("token-server", move |stream| serve(&state, stream))
        };
        TokenServer { server, state }
    }

    /// The realm URL the registry sends clients to.
    pub(crate) fn realm(&self) -> String {
        format!("http://{}/token", self.server.addr())
    }

    pub(crate) fn requests(&self) -> TokenRequests {
        *self.state.counts.lock().unwrap()
    }

    pub(crate) fn grants(&self) -> Vec<TokenGrant> {
        self.state.grants.lock().unwrap().clone()
    }
}

fn serve(state: &State, stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    let Ok(Some(request)) = read_request(&mut reader) else {
        return;
    };
    let stream = reader.get_mut();
    let (status, headers, body) = answer(state, &request);
    let _ = respond(stream, status, &headers, body.to_string().as_bytes());
}

type Answer = (u16, Vec<(&'static str, String)>, Value);

fn error(status: u16, code: &str, message: &str) -> Answer {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if status == 401 {
        headers.push((
            "WWW-Authenticate",
            "Basic realm=\"imgaudit-test-token-server\"".to_owned(),
        ));
    }
    (
        status,
        headers,
        json!({ "errors": [{ "code": code, "message": message }] }),
    )
}

fn answer(state: &State, request: &super::http::Request) -> Answer {
    if request.path() != "/token" {
        return error(404, "NOT_FOUND", "the token endpoint is /token");
    }
    // GET /token?service=S&scope=A&scope=B (Docker token spec), or POST of a form
    // (OAuth2 password grant, as the Docker CLI sends it).
    let (params, form_credentials) = match request.method() {
        "GET" => (parse_form(request.query()), None),
        "POST" => {
            let params = parse_form(&String::from_utf8_lossy(&request.body));
            let grant = param(&params, "grant_type").unwrap_or_default();
            if grant != "password" {
                return error(400, "unsupported_grant_type", "only the password grant");
            }
            let user = param(&params, "username").unwrap_or_default().to_owned();
            let password = param(&params, "password").unwrap_or_default().to_owned();
            (params, Some((user, password)))
        }
        _ => return error(405, "UNSUPPORTED", "GET or POST"),
    };
    if let Some(service) = param(&params, "service") {
        if service != SERVICE {
            return error(400, "INVALID_SERVICE", "unknown service");
        }
    }
    let credentials = form_credentials.or_else(|| basic_credentials(request));
    let account = match credentials {
        None => None,
        Some((user, password)) if user == state.user && password == state.password => Some(user),
        Some(_) => {
            state.counts.lock().unwrap().rejected += 1;
            return error(401, "UNAUTHORIZED", "wrong credentials");
        }
    };
    let scopes: Vec<String> = params
        .iter()
        .filter(|(name, _)| name == "scope")
        .flat_map(|(_, value)| value.split(' '))
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect();
    let access: Vec<Value> = scopes
        .iter()
        .filter_map(|scope| grant(scope, account.is_some()))
        .collect();
    let access = Value::Array(access);
    let token = sign(state, account.as_deref(), &access);
    {
        let mut counts = state.counts.lock().unwrap();
        if account.is_some() {
            counts.authenticated += 1;
        } else {
            counts.anonymous += 1;
        }
    }
    state.grants.lock().unwrap().push(TokenGrant {
        account,
        scopes,
        access,
    });
    (
        200,
        vec![("Content-Type", "application/json".to_owned())],
        json!({ "token": token, "access_token": token, "expires_in": EXPIRES_IN }),
    )
}

/// The access granted for one scope `TYPE:NAME:ACTIONS` (the name may hold colons).
fn grant(scope: &str, authenticated: bool) -> Option<Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    if kind != "repository" {
        return None;
    }
    let allowed: &[&str] = if authenticated {
        &["pull", "push"]
    } else if name.starts_with("public/") {
        &["pull"]
    } else {
        &[]
    };
    let actions: Vec<&str> = actions
        .split(',')
        .filter(|action| allowed.contains(action))
        .collect();
    if actions.is_empty() {
        return None;
    }
    Some(json!({ "type": kind, "name": name, "actions": actions }))
}

fn sign(state: &State, account: Option<&str>, access: &Value) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = json!({ "typ": "JWT", "alg": "ES256", "x5c": [state.x5c] });
    let claims = json!({
        "iss": ISSUER,
        "sub": account.unwrap_or_default(),
        "aud": SERVICE,
        "exp": now + EXPIRES_IN,
        "nbf": now.saturating_sub(10),
        "iat": now,
        "jti": format!("imgaudit-{now}-{}", state.grants.lock().unwrap().len()),
        "access": access,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // The fixed-size signature (r || s, 64 bytes) is what JWS ES256 specifies.
    let signature = state
        .key
        .sign(&state.rng, input.as_bytes())
        .expect("ECDSA signing failed");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

fn basic_credentials(request: &super::http::Request) -> Option<(String, String)> {
    let value = request.head.header("authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Parses `application/x-www-form-urlencoded` (also a URL query).
fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(index + 1..index + 3).unwrap_or_default();
                let value = std::str::from_utf8(hex).ok().filter(|hex| {
                    hex.len() == 2 && hex.bytes().all(|digit| digit.is_ascii_hexdigit())
                });
                if let Some(byte) = value.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    out.push(byte);
                    index += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
