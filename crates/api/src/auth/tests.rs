//! Unit tests of the auth module: token acceptance and every refusal, key and
//! JWKS loading errors, and the development key. RS256 tokens are signed with
//! the test-only fixture key in `tests/fixtures/auth/`; ES256 keys are made at
//! run time with `DevKey`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use serde_json::{Value, json};

use super::*;

const AUD: &str = "deconflict-test";
const JWKS_KID: &str = "test-rsa-1";

// ---------------------------------------------------------------------------
// Helpers

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth")
        .join(name)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The fixture RSA private key (test-only), as a `jsonwebtoken` signing key.
fn rsa_signing_key() -> &'static EncodingKey {
    static KEY: OnceLock<EncodingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = fs::read_to_string(fixture("test-only-rsa-private.pem")).unwrap();
        let key = rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap();
        EncodingKey::from_rsa_der(key.to_pkcs1_der().unwrap().as_bytes())
    })
}

fn header(alg: Algorithm, kid: Option<&str>) -> Header {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_owned);
    h
}

fn rs256(claims: &Value, kid: Option<&str>) -> String {
    jsonwebtoken::encode(&header(Algorithm::RS256, kid), claims, rsa_signing_key()).unwrap()
}

fn es256(key: &DevKey, claims: &Value, kid: Option<&str>) -> String {
    jsonwebtoken::encode(&header(Algorithm::ES256, kid), claims, key.encoding_key()).unwrap()
}

/// Claims that pass every check.
fn good_claims() -> Value {
    json!({
        "sub": "party-a",
        "aud": AUD,
        "iat": now(),
        "exp": now() + 300,
        "scope": "ops:read ops:write",
    })
}

/// `good_claims` with `changes` merged in; a `null` value removes the claim.
fn claims_with(changes: Value) -> Value {
    let mut claims = good_claims();
    let (Value::Object(base), Value::Object(changes)) = (&mut claims, changes) else {
        panic!("claims must be objects");
    };
    for (k, v) in changes {
        if v.is_null() {
            base.remove(&k);
        } else {
            base.insert(k, v);
        }
    }
    claims
}

fn config(files: &[PathBuf]) -> AuthConfig {
    AuthConfig {
        audience: AUD.to_owned(),
        public_key_files: files.to_vec(),
        ..AuthConfig::default()
    }
}

fn rsa_verifier() -> Verifier {
    Verifier::new(&config(&[fixture("test-only-rsa-public.pem")])).unwrap()
}

fn jwks_verifier() -> Verifier {
    Verifier::new(&AuthConfig {
        jwks_file: Some(fixture("test-only-rsa.jwks.json")),
        ..config(&[])
    })
    .unwrap()
}

/// A token with a hand-written header and claims and a fake signature.
fn unsigned_token(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature
    )
}

/// A token's claims, read without verification.
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "deconflict-auth-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A new dev key and a verifier that trusts it (through its public key file).
fn dev_setup(dir: &TempDir) -> (DevKey, Verifier) {
    let key = DevKey::load_or_create(&dir.path().join("keys/dev-key.pem")).unwrap();
    let public = dir.path().join("public/dev-key.pub.pem");
    key.write_public_key(&public).unwrap();
    let verifier = Verifier::new(&config(&[public])).unwrap();
    (key, verifier)
}

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// Accepted tokens

#[test]
fn es256_token_minted_by_dev_key_verifies() {
    let dir = TempDir::new();
    let (key, verifier) = dev_setup(&dir);
    let token = key
        .mint(
            "party-a",
            &scopes(&["ops:read", "ops:write"]),
            AUD,
            Duration::from_secs(300),
        )
        .unwrap();
    let principal = verifier.verify_header(Some(&bearer(&token))).unwrap();
    assert_eq!(principal.subject, "party-a");
    assert!(principal.has_scope("ops:read"));
    assert!(principal.has_scope("ops:write"));
    assert!(!principal.has_scope("ops"));
    assert_eq!(principal.scopes.len(), 2);
}

#[test]
fn rs256_token_verifies_against_spki_pem() {
    let principal = rsa_verifier().verify(&rs256(&good_claims(), None)).unwrap();
    assert_eq!(principal.subject, "party-a");
    assert!(principal.has_scope("ops:write"));
}

#[test]
fn rs256_token_verifies_against_pkcs1_pem_and_certificate() {
    for file in ["test-only-rsa-public-pkcs1.pem", "test-only-rsa-cert.pem"] {
        let verifier = Verifier::new(&config(&[fixture(file)])).unwrap();
        let principal = verifier.verify(&rs256(&good_claims(), None)).unwrap();
        assert_eq!(principal.subject, "party-a", "{file}");
    }
}

#[test]
fn rs256_token_verifies_against_jwks_with_and_without_kid() {
    let verifier = jwks_verifier();
    let with_kid = verifier.verify(&rs256(&good_claims(), Some(JWKS_KID)));
    assert_eq!(with_kid.unwrap().subject, "party-a");
    let without_kid = verifier.verify(&rs256(&good_claims(), None));
    assert_eq!(without_kid.unwrap().subject, "party-a");
}

#[test]
fn jwks_skips_unusable_keys_and_reports_them() {
    let verifier = jwks_verifier();
    let warnings = verifier.setup_warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("test-rsa-enc")));
    assert!(warnings.iter().any(|w| w.contains("test-hmac")));
    assert!(warnings.iter().any(|w| w.contains("test-ed25519")));
    assert_eq!(verifier.key_summaries().len(), 1);
    // A skipped key's kid is not trusted, even though it is the same RSA key.
    assert_eq!(
        verifier.verify(&rs256(&good_claims(), Some("test-rsa-enc"))),
        Err(AuthError::UnknownKey)
    );
}

#[test]
fn pem_key_answers_to_its_thumbprint_as_kid() {
    let dir = TempDir::new();
    let (key, _) = dev_setup(&dir);
    let pem = key.public_key_pem();
    let verifier = Verifier::with_keys(AUD, 30, &[pem.as_str()], None).unwrap();
    assert!(verifier.key_summaries()[0].contains(key.kid()));
    let token = key
        .mint("party-b", &[], AUD, Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
        Some(key.kid())
    );
    assert_eq!(verifier.verify(&token).unwrap().subject, "party-b");
}

#[test]
fn without_kid_every_key_of_the_algorithm_is_tried() {
    let dir_a = TempDir::new();
    let (a, _) = dev_setup(&dir_a);
    let dir_b = TempDir::new();
    let (b, _) = dev_setup(&dir_b);
    let rsa_pem = fs::read_to_string(fixture("test-only-rsa-public.pem")).unwrap();
    let (a_pem, b_pem) = (a.public_key_pem(), b.public_key_pem());
    let verifier = Verifier::with_keys(AUD, 30, &[&a_pem, &rsa_pem, &b_pem], None).unwrap();
    for key in [&a, &b] {
        let token = es256(key, &good_claims(), None);
        assert_eq!(verifier.verify(&token).unwrap().subject, "party-a");
    }
    assert!(verifier.verify(&rs256(&good_claims(), None)).is_ok());
}

#[test]
fn bearer_scheme_is_case_insensitive() {
    let verifier = rsa_verifier();
    let token = rs256(&good_claims(), None);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("  {scheme}   {token}  ");
        assert!(verifier.verify_header(Some(&header)).is_ok(), "{scheme}");
    }
}

// ---------------------------------------------------------------------------
// Refusals: the header

#[test]
fn no_header_is_missing() {
    let verifier = rsa_verifier();
    assert_eq!(verifier.verify_header(None), Err(AuthError::Missing));
    assert_eq!(verifier.verify_header(Some("")), Err(AuthError::Missing));
    assert_eq!(verifier.verify_header(Some("   ")), Err(AuthError::Missing));
}

#[test]
fn non_bearer_scheme_is_refused() {
    let verifier = rsa_verifier();
    let token = rs256(&good_claims(), None);
    for header in [
        "Basic dXNlcjpwYXNzd29yZA==".to_owned(),
        format!("Token {token}"),
        format!("Bearer: {token}"),
        token.clone(), // no scheme at all
    ] {
        assert_eq!(
            verifier.verify_header(Some(&header)),
            Err(AuthError::WrongScheme),
            "{header}"
        );
    }
}

#[test]
fn bearer_without_a_single_token_is_malformed() {
    let verifier = rsa_verifier();
    let token = rs256(&good_claims(), None);
    for header in [
        "Bearer".to_owned(),
        "Bearer    ".to_owned(),
        format!("Bearer {token} {token}"),
    ] {
        assert!(
            matches!(
                verifier.verify_header(Some(&header)),
                Err(AuthError::Malformed(_))
            ),
            "{header}"
        );
    }
}

// ---------------------------------------------------------------------------
// Refusals: the token's shape and algorithm

#[test]
fn garbage_tokens_are_malformed() {
    let verifier = rsa_verifier();
    let not_json = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("not json"));
    let not_object = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("[1,2]"));
    let no_alg = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#));
    let alg_not_string = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":256}"#));
    for token in [
        "garbage",
        "a.b",
        "a.b.c.d",
        "....",
        "!!!.e30.c2ln",
        "eyJhbGciOiJSUzI1NiJ9=.e30.c2ln", // padded base64 is not base64url
        &not_json,
        &not_object,
        &no_alg,
        &alg_not_string,
        &"A".repeat(20_000),
    ] {
        assert!(
            matches!(verifier.verify(token), Err(AuthError::Malformed(_))),
            "{token:.40}"
        );
    }
}

#[test]
fn alg_none_is_refused() {
    let verifier = rsa_verifier();
    for alg in ["none", "None", "NONE"] {
        let token = unsigned_token(&json!({"alg": alg, "typ": "JWT"}), &good_claims(), "");
        assert_eq!(
            verifier.verify(&token),
            Err(AuthError::UnsupportedAlgorithm(alg.to_owned()))
        );
    }
}

#[test]
fn hmac_tokens_are_refused_even_keyed_with_the_public_key() {
    let verifier = rsa_verifier();
    let public_pem = fs::read(fixture("test-only-rsa-public.pem")).unwrap();
    let secrets: [&[u8]; 2] = [b"a shared secret", &public_pem];
    for (alg, name) in [
        (Algorithm::HS256, "HS256"),
        (Algorithm::HS384, "HS384"),
        (Algorithm::HS512, "HS512"),
    ] {
        for secret in secrets {
            let token = jsonwebtoken::encode(
                &header(alg, None),
                &good_claims(),
                &EncodingKey::from_secret(secret).unwrap(),
            )
            .unwrap();
            assert_eq!(
                verifier.verify(&token),
                Err(AuthError::UnsupportedAlgorithm(name.to_owned()))
            );
        }
    }
}

#[test]
fn other_algorithms_are_refused_by_name() {
    let verifier = rsa_verifier();
    for alg in [
        "RS384", "RS512", "PS256", "ES384", "ES512", "EdDSA", "rs256",
    ] {
        let token = unsigned_token(&json!({"alg": alg}), &good_claims(), "c2ln");
        assert_eq!(
            verifier.verify(&token),
            Err(AuthError::UnsupportedAlgorithm(alg.to_owned()))
        );
    }
    // An odd `alg` is not echoed back to the client.
    let odd = "<script>alert(1)</script>";
    let token = unsigned_token(&json!({"alg": odd}), &good_claims(), "c2ln");
    let err = verifier.verify(&token).unwrap_err();
    assert_eq!(
        err,
        AuthError::UnsupportedAlgorithm("(unrecognised)".to_owned())
    );
    assert!(!err.to_string().contains(odd));
}

#[test]
fn crit_header_and_non_string_kid_are_refused() {
    let verifier = rsa_verifier();
    let mut crit_header = header(Algorithm::RS256, None);
    crit_header.crit = Some(vec!["x-must-understand".to_owned()]);
    crit_header.extras.insert("x-must-understand", true);
    let crit = jsonwebtoken::encode(&crit_header, &good_claims(), rsa_signing_key()).unwrap();
    assert!(matches!(
        verifier.verify(&crit),
        Err(AuthError::Malformed(_))
    ));
    let kid = unsigned_token(&json!({"alg": "RS256", "kid": 7}), &good_claims(), "c2ln");
    assert!(matches!(
        verifier.verify(&kid),
        Err(AuthError::Malformed(_))
    ));
}

// ---------------------------------------------------------------------------
// Refusals: keys and signatures

#[test]
fn token_signed_by_another_key_is_refused() {
    let dir = TempDir::new();
    let (_trusted, verifier) = dev_setup(&dir);
    let other_dir = TempDir::new();
    let (other, _) = dev_setup(&other_dir);
    // Without a kid every ES256 key is tried, and none verifies it.
    let no_kid = es256(&other, &good_claims(), None);
    assert_eq!(verifier.verify(&no_kid), Err(AuthError::BadSignature));
    // With its own kid, the key is simply unknown here.
    let own_kid = other
        .mint("party-a", &[], AUD, Duration::from_secs(60))
        .unwrap();
    assert_eq!(verifier.verify(&own_kid), Err(AuthError::UnknownKey));
    // Claiming the trusted key's kid does not help.
    let stolen_kid = es256(&other, &good_claims(), Some(_trusted.kid()));
    assert_eq!(verifier.verify(&stolen_kid), Err(AuthError::BadSignature));
}

#[test]
fn unknown_kid_is_refused() {
    let token = rs256(&good_claims(), Some("no-such-key"));
    assert_eq!(rsa_verifier().verify(&token), Err(AuthError::UnknownKey));
    assert_eq!(jwks_verifier().verify(&token), Err(AuthError::UnknownKey));
}

#[test]
fn kid_of_a_key_with_another_algorithm_is_unknown() {
    let dir = TempDir::new();
    let (dev, _) = dev_setup(&dir);
    let rsa_pem = fs::read_to_string(fixture("test-only-rsa-public.pem")).unwrap();
    let dev_pem = dev.public_key_pem();
    let verifier = Verifier::with_keys(AUD, 30, &[&rsa_pem, &dev_pem], None).unwrap();
    // An RS256 token naming the ES256 key.
    let token = rs256(&good_claims(), Some(dev.kid()));
    assert_eq!(verifier.verify(&token), Err(AuthError::UnknownKey));
}

#[test]
fn algorithm_confusion_is_refused() {
    // An RS256 signature relabelled as ES256, against RSA keys only: no ES256 key.
    let token = rs256(&good_claims(), None);
    let mut parts: Vec<&str> = token.split('.').collect();
    let es_header = URL_SAFE_NO_PAD.encode(json!({"alg": "ES256"}).to_string());
    parts[0] = &es_header;
    let relabelled = parts.join(".");
    assert_eq!(
        rsa_verifier().verify(&relabelled),
        Err(AuthError::UnknownKey)
    );
    // And against a verifier that also has an ES256 key: the signature fails.
    let dir = TempDir::new();
    let (dev, _) = dev_setup(&dir);
    let rsa_pem = fs::read_to_string(fixture("test-only-rsa-public.pem")).unwrap();
    let dev_pem = dev.public_key_pem();
    let both = Verifier::with_keys(AUD, 30, &[&rsa_pem, &dev_pem], None).unwrap();
    assert_eq!(both.verify(&relabelled), Err(AuthError::BadSignature));
}

#[test]
fn tampered_tokens_are_refused() {
    let verifier = rsa_verifier();
    let token = rs256(&good_claims(), None);
    let parts: Vec<&str> = token.split('.').collect();
    // Claims swapped for others (another subject).
    let forged_claims =
        URL_SAFE_NO_PAD.encode(claims_with(json!({"sub": "party-evil"})).to_string());
    let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    assert_eq!(verifier.verify(&forged), Err(AuthError::BadSignature));
    // One signature character changed.
    let mut sig: Vec<char> = parts[2].chars().collect();
    sig[10] = if sig[10] == 'A' { 'B' } else { 'A' };
    let sig: String = sig.into_iter().collect();
    let flipped = format!("{}.{}.{}", parts[0], parts[1], sig);
    assert_eq!(verifier.verify(&flipped), Err(AuthError::BadSignature));
    // No signature at all.
    let stripped = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(verifier.verify(&stripped), Err(AuthError::BadSignature));
}

// ---------------------------------------------------------------------------
// Refusals: claims

#[test]
fn expiry_is_checked_with_leeway() {
    let verifier = rsa_verifier(); // default leeway: 30 s
    let long_expired = rs256(&claims_with(json!({"exp": now() - 120})), None);
    assert_eq!(verifier.verify(&long_expired), Err(AuthError::Expired));
    let just_expired = rs256(&claims_with(json!({"exp": now() - 10})), None);
    assert!(verifier.verify(&just_expired).is_ok());
    // The same token without leeway is refused.
    let strict = Verifier::new(&AuthConfig {
        leeway_s: 0,
        ..config(&[fixture("test-only-rsa-public.pem")])
    })
    .unwrap();
    assert_eq!(strict.verify(&just_expired), Err(AuthError::Expired));
}

#[test]
fn exp_is_required_and_must_be_a_number() {
    let verifier = rsa_verifier();
    let no_exp = rs256(&claims_with(json!({"exp": null})), None);
    assert_eq!(verifier.verify(&no_exp), Err(AuthError::MissingExpiry));
    // `jsonwebtoken` treats an `exp` that is not a number as absent.
    let text_exp = rs256(&claims_with(json!({"exp": "tomorrow"})), None);
    assert_eq!(verifier.verify(&text_exp), Err(AuthError::MissingExpiry));
}

#[test]
fn nbf_in_the_future_is_refused() {
    let verifier = rsa_verifier();
    let future = rs256(&claims_with(json!({"nbf": now() + 300})), None);
    assert_eq!(verifier.verify(&future), Err(AuthError::NotYetValid));
    let within_leeway = rs256(&claims_with(json!({"nbf": now() + 10})), None);
    assert!(verifier.verify(&within_leeway).is_ok());
    let past = rs256(&claims_with(json!({"nbf": now() - 10})), None);
    assert!(verifier.verify(&past).is_ok());
    let text = rs256(&claims_with(json!({"nbf": "later"})), None);
    assert!(matches!(
        verifier.verify(&text),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn audience_must_name_this_service() {
    let verifier = rsa_verifier();
    let wrong = rs256(&claims_with(json!({"aud": "some-other-service"})), None);
    assert_eq!(verifier.verify(&wrong), Err(AuthError::WrongAudience));
    let missing = rs256(&claims_with(json!({"aud": null})), None);
    assert_eq!(verifier.verify(&missing), Err(AuthError::WrongAudience));
    let array_without = rs256(&claims_with(json!({"aud": ["a", "b"]})), None);
    assert_eq!(
        verifier.verify(&array_without),
        Err(AuthError::WrongAudience)
    );
    let not_text = rs256(&claims_with(json!({"aud": 42})), None);
    assert_eq!(verifier.verify(&not_text), Err(AuthError::WrongAudience));
}

#[test]
fn audience_array_containing_ours_is_accepted() {
    let verifier = rsa_verifier();
    let token = rs256(&claims_with(json!({"aud": ["another", AUD]})), None);
    assert_eq!(verifier.verify(&token).unwrap().subject, "party-a");
}

#[test]
fn subject_is_required_and_non_empty() {
    let verifier = rsa_verifier();
    for sub in [json!(null), json!(""), json!("   ")] {
        let token = rs256(&claims_with(json!({ "sub": sub.clone() })), None);
        assert_eq!(
            verifier.verify(&token),
            Err(AuthError::MissingSubject),
            "{sub}"
        );
    }
    for sub in [json!(42), json!("party\nb")] {
        let token = rs256(&claims_with(json!({ "sub": sub.clone() })), None);
        assert!(
            matches!(verifier.verify(&token), Err(AuthError::Malformed(_))),
            "{sub}"
        );
    }
}

#[test]
fn expired_es256_token_is_refused_too() {
    let dir = TempDir::new();
    let (key, verifier) = dev_setup(&dir);
    let token = es256(
        &key,
        &claims_with(json!({"exp": now() - 120})),
        Some(key.kid()),
    );
    assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
}

// ---------------------------------------------------------------------------
// Scopes

#[test]
fn scopes_are_split_on_spaces() {
    let verifier = rsa_verifier();
    let token = rs256(&claims_with(json!({"scope": "  a  b\tc a "})), None);
    let principal = verifier.verify(&token).unwrap();
    assert_eq!(
        principal
            .scopes
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}

#[test]
fn scp_array_adds_scopes() {
    let verifier = rsa_verifier();
    let token = rs256(&claims_with(json!({"scope": "a", "scp": ["d", "e"]})), None);
    let principal = verifier.verify(&token).unwrap();
    assert_eq!(
        principal
            .scopes
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["a", "d", "e"]
    );
    let none = rs256(&claims_with(json!({"scope": null})), None);
    assert!(verifier.verify(&none).unwrap().scopes.is_empty());
    let bad = rs256(&claims_with(json!({"scope": 42})), None);
    assert!(matches!(
        verifier.verify(&bad),
        Err(AuthError::Malformed(_))
    ));
    let bad_item = rs256(&claims_with(json!({"scp": ["a", 1]})), None);
    assert!(matches!(
        verifier.verify(&bad_item),
        Err(AuthError::Malformed(_))
    ));
}

// ---------------------------------------------------------------------------
// Error texts

#[test]
fn error_texts_are_clear_and_echo_no_token() {
    let verifier = rsa_verifier();
    let token = rs256(&claims_with(json!({"exp": now() - 3600})), None);
    let err = verifier.verify(&token).unwrap_err();
    assert_eq!(err.to_string(), "token has expired");
    let garbage = "Zm9vYmFyYmF6cXV4.bm90aGluZw.c2lnbmF0dXJl";
    let err = verifier.verify(garbage).unwrap_err();
    assert!(matches!(err, AuthError::Malformed(_)));
    assert!(!err.to_string().contains("Zm9vYmFy"));
    for e in [
        AuthError::Missing,
        AuthError::WrongScheme,
        AuthError::UnknownKey,
        AuthError::BadSignature,
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::MissingExpiry,
        AuthError::WrongAudience,
        AuthError::MissingSubject,
    ] {
        assert!(e.to_string().len() > 10, "{e:?}");
    }
    assert_eq!(AuthError::Missing.bearer_error_code(), None);
    assert_eq!(
        AuthError::Expired.bearer_error_code(),
        Some("invalid_token")
    );
}

// ---------------------------------------------------------------------------
// Setup errors

#[test]
fn missing_key_file_is_a_read_error_naming_it() {
    let path = fixture("no-such-key.pem");
    let err = Verifier::new(&config(std::slice::from_ref(&path))).unwrap_err();
    assert!(matches!(&err, AuthSetupError::Read { path: p, .. } if *p == path));
    assert!(err.to_string().contains("no-such-key.pem"), "{err}");
}

#[test]
fn file_that_is_not_a_key_is_refused() {
    let path = fixture("test-only-not-a-key.pem");
    let err = Verifier::new(&config(std::slice::from_ref(&path))).unwrap_err();
    assert!(matches!(&err, AuthSetupError::InvalidKey { path: p, .. } if *p == path));
    assert!(err.to_string().contains("test-only-not-a-key.pem"), "{err}");
    assert!(err.to_string().contains("no PEM block"), "{err}");
}

#[test]
fn unsupported_keys_are_refused_with_the_reason() {
    for (file, expected) in [
        ("test-only-rsa-private.pem", "private key"),
        ("test-only-rsa1024-public.pem", "too small"),
        ("test-only-ec-p384-public.pem", "only P-256"),
    ] {
        let err = Verifier::new(&config(&[fixture(file)])).unwrap_err();
        assert!(matches!(err, AuthSetupError::InvalidKey { .. }), "{file}");
        assert!(err.to_string().contains(expected), "{file}: {err}");
        assert!(err.to_string().contains(file), "{file}: {err}");
    }
}

#[test]
fn two_pem_blocks_in_one_file_are_refused() {
    let pem = fs::read_to_string(fixture("test-only-rsa-public.pem")).unwrap();
    let two = format!("{pem}{pem}");
    let err = Verifier::with_keys(AUD, 30, &[&pem, &two], None).unwrap_err();
    assert!(err.to_string().contains("(in-memory PEM #2)"), "{err}");
    assert!(err.to_string().contains("2 PEM blocks"), "{err}");
}

#[test]
fn empty_jwks_is_refused() {
    let err = Verifier::new(&AuthConfig {
        jwks_file: Some(fixture("test-only-empty.jwks.json")),
        ..config(&[])
    })
    .unwrap_err();
    assert!(matches!(err, AuthSetupError::InvalidJwks { .. }), "{err}");
    assert!(
        err.to_string().contains("test-only-empty.jwks.json"),
        "{err}"
    );
    assert!(err.to_string().contains("no keys"), "{err}");
}

#[test]
fn jwks_without_usable_keys_or_with_broken_keys_is_refused() {
    let cases = [
        (r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, "no usable"),
        (
            r#"{"keys":[{"kty":"RSA","kid":"k1","e":"AQAB"}]}"#,
            "missing `n`",
        ),
        (
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}"#,
            "32 bytes",
        ),
        (r#"{"keys":[{"kid":"no-kty"}]}"#, "missing `kty`"),
        (r#"{"keys":{}}"#, "not an array"),
        ("not json", "not valid JSON"),
    ];
    for (jwks, expected) in cases {
        let err = Verifier::with_keys(AUD, 30, &[], Some(jwks)).unwrap_err();
        assert!(matches!(err, AuthSetupError::InvalidJwks { .. }), "{jwks}");
        assert!(err.to_string().contains(expected), "{jwks}: {err}");
    }
}

#[test]
fn jwks_ec_key_is_accepted() {
    let dir = TempDir::new();
    let (key, _) = dev_setup(&dir);
    // Build the JWK from the public key's SEC1 point.
    use p256::elliptic_curve::sec1::ToSec1Point as _;
    use p256::pkcs8::DecodePublicKey as _;
    let public = p256::PublicKey::from_public_key_pem(&key.public_key_pem()).unwrap();
    let point = public.to_sec1_point(false);
    let jwks = json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "dev-ec", "alg": "ES256", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    }]})
    .to_string();
    let verifier = Verifier::with_keys(AUD, 30, &[], Some(&jwks)).unwrap();
    // Found by its JWKS kid, and by its thumbprint (what DevKey puts in `kid`).
    assert!(
        verifier
            .verify(&es256(&key, &good_claims(), Some("dev-ec")))
            .is_ok()
    );
    let minted = key
        .mint("party-c", &[], AUD, Duration::from_secs(60))
        .unwrap();
    assert_eq!(verifier.verify(&minted).unwrap().subject, "party-c");
}

#[test]
fn empty_audience_is_refused() {
    for audience in ["", "   "] {
        let err = Verifier::new(&AuthConfig {
            audience: audience.to_owned(),
            ..config(&[fixture("test-only-rsa-public.pem")])
        })
        .unwrap_err();
        assert!(matches!(err, AuthSetupError::EmptyAudience), "{err}");
    }
}

#[test]
fn no_key_source_is_refused() {
    let err = Verifier::new(&config(&[])).unwrap_err();
    assert!(matches!(err, AuthSetupError::NoKeys), "{err}");
}

#[test]
fn oversized_leeway_is_refused() {
    let err = Verifier::new(&AuthConfig {
        leeway_s: AuthConfig::MAX_LEEWAY_S + 1,
        ..config(&[fixture("test-only-rsa-public.pem")])
    })
    .unwrap_err();
    assert!(matches!(err, AuthSetupError::InvalidSetting(_)), "{err}");
}

#[test]
fn config_defaults() {
    assert_eq!(AuthConfig::default().leeway_s, 30);
    let parsed: AuthConfig = serde_json::from_str(r#"{"audience":"x"}"#).unwrap();
    assert_eq!(parsed.leeway_s, 30);
    assert!(parsed.public_key_files.is_empty());
    assert_eq!(parsed.jwks_file, None);
}

// ---------------------------------------------------------------------------
// The development key

#[test]
fn dev_key_is_created_private_and_reloaded_stably() {
    let dir = TempDir::new();
    let path = dir.path().join("nested/dirs/dev-key.pem");
    let first = DevKey::load_or_create(&path).unwrap();
    let pem = fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem:.40}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let second = DevKey::load_or_create(&path).unwrap();
    assert_eq!(first.kid(), second.kid());
    assert_eq!(first.public_key_pem(), second.public_key_pem());
    assert!(
        first
            .public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    // A token from the reloaded key verifies against the first one's public key.
    let verifier = Verifier::with_keys(AUD, 30, &[&first.public_key_pem()], None).unwrap();
    let token = second
        .mint("party-a", &[], AUD, Duration::from_secs(60))
        .unwrap();
    assert!(verifier.verify(&token).is_ok());
    // Debug output shows no key material.
    let debug = format!("{first:?}");
    assert!(
        debug.contains("redacted") && !debug.contains("BEGIN"),
        "{debug}"
    );
}

#[test]
fn dev_key_file_that_is_not_a_key_is_refused() {
    let err = DevKey::load_or_create(&fixture("test-only-not-a-key.pem")).unwrap_err();
    assert!(matches!(err, AuthSetupError::InvalidKey { .. }), "{err}");
}

#[test]
fn dev_key_mints_the_documented_claims() {
    let dir = TempDir::new();
    let (key, _) = dev_setup(&dir);
    let before = now();
    let token = key
        .mint(
            "party-a",
            &scopes(&["x", "y"]),
            AUD,
            Duration::from_secs(600),
        )
        .unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some(key.kid()));
    let claims: Value = payload(&token);
    let iat = claims["iat"].as_u64().unwrap();
    assert!(iat >= before && iat <= now());
    assert_eq!(claims["nbf"].as_u64(), Some(iat));
    assert_eq!(claims["exp"].as_u64(), Some(iat + 600));
    assert_eq!(claims["sub"], "party-a");
    assert_eq!(claims["aud"], AUD);
    assert_eq!(claims["scope"], "x y");
    assert_eq!(claims["iss"], "deconflict-dev");
    let unscoped = key
        .mint("party-a", &[], AUD, Duration::from_secs(60))
        .unwrap();
    let claims: Value = payload(&unscoped);
    assert!(claims.get("scope").is_none());
}

#[test]
fn dev_key_refuses_bad_mint_arguments() {
    let dir = TempDir::new();
    let (key, _) = dev_setup(&dir);
    let minute = Duration::from_secs(60);
    let cases = [
        key.mint("", &[], AUD, minute),
        key.mint("party\u{7}", &[], AUD, minute),
        key.mint("party-a", &[], " ", minute),
        key.mint("party-a", &scopes(&["a b"]), AUD, minute),
        key.mint("party-a", &scopes(&[""]), AUD, minute),
        key.mint("party-a", &[], AUD, Duration::from_millis(500)),
    ];
    for (i, result) in cases.into_iter().enumerate() {
        assert!(
            matches!(result, Err(AuthSetupError::InvalidSetting(_))),
            "case {i}: {result:?}"
        );
    }
}

#[test]
fn a_cached_token_still_expires_on_time() {
    let pem = std::fs::read_to_string(fixture("test-only-rsa-public.pem")).unwrap();
    let verifier = Verifier::with_keys(AUD, 0, &[pem.as_str()], None).unwrap();
    let exp = now() + 2;
    let token = rs256(&claims_with(json!({ "exp": exp })), None);
    assert!(verifier.verify(&token).is_ok(), "first check, then cached");
    assert!(verifier.verify(&token).is_ok(), "served from the cache");
    while now() <= exp {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
}

#[test]
fn a_cached_token_is_not_valid_before_its_nbf() {
    let pem = std::fs::read_to_string(fixture("test-only-rsa-public.pem")).unwrap();
    let verifier = Verifier::with_keys(AUD, 0, &[pem.as_str()], None).unwrap();
    let token = rs256(&claims_with(json!({ "nbf": now() + 600 })), None);
    assert_eq!(verifier.verify(&token), Err(AuthError::NotYetValid));
    assert_eq!(
        verifier.verify(&token),
        Err(AuthError::NotYetValid),
        "refusals are not cached as passes"
    );
}
