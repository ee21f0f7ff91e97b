//! Authentication and the scopes of every endpoint, exactly as the standard lists them.

use super::*;

/// Every DSS operation: (method, path, body, the scopes that allow it).
fn endpoints(
    oir: &str,
    sub: &str,
) -> Vec<(&'static str, String, Option<Value>, Vec<&'static str>)> {
    let area = json!({"area_of_interest": here()});
    let oir_body = oir_params(&[here()], "Accepted", &[]);
    let constraint = json!({"extents": [here()], "uss_base_url": "https://uss.example.com/utm"});
    let subscription = json!({"extents": here(), "uss_base_url": "https://uss.example.com/utm",
                              "notify_for_operational_intents": true});
    let report = json!({"exchange": {"url": "https://x", "method": "GET", "recorder_role": "Client",
                                      "request_time": time(0), "request_source": "uss1"}});
    vec![
        (
            "POST",
            "operational_intent_references/query".into(),
            Some(area.clone()),
            vec![SC, CMSA],
        ),
        (
            "GET",
            format!("operational_intent_references/{oir}"),
            None,
            vec![SC, CMSA],
        ),
        (
            "PUT",
            format!("operational_intent_references/{}", id()),
            Some(oir_body.clone()),
            vec![SC, CMSA],
        ),
        (
            "PUT",
            format!("operational_intent_references/{oir}/0123456789abcdef"),
            Some(oir_body),
            vec![SC, CMSA],
        ),
        (
            "DELETE",
            format!("operational_intent_references/{oir}/0123456789abcdef"),
            None,
            vec![SC, CMSA],
        ),
        (
            "POST",
            "constraint_references/query".into(),
            Some(area.clone()),
            vec![CM, CP],
        ),
        (
            "GET",
            format!("constraint_references/{oir}"),
            None,
            vec![CM, CP],
        ),
        (
            "PUT",
            format!("constraint_references/{}", id()),
            Some(constraint.clone()),
            vec![CM],
        ),
        (
            "PUT",
            format!("constraint_references/{oir}/0123456789abcdef"),
            Some(constraint),
            vec![CM],
        ),
        (
            "DELETE",
            format!("constraint_references/{oir}/0123456789abcdef"),
            None,
            vec![CM],
        ),
        (
            "POST",
            "subscriptions/query".into(),
            Some(area),
            vec![CP, SC],
        ),
        ("GET", format!("subscriptions/{sub}"), None, vec![CP, SC]),
        (
            "PUT",
            format!("subscriptions/{}", id()),
            Some(subscription.clone()),
            vec![CP, SC],
        ),
        (
            "PUT",
            format!("subscriptions/{sub}/1"),
            Some(subscription),
            vec![CP, SC],
        ),
        (
            "DELETE",
            format!("subscriptions/{sub}/1"),
            None,
            vec![CP, SC],
        ),
        (
            "POST",
            "reports".into(),
            Some(report),
            vec![CM, CP, SC, CMSA, AA],
        ),
        (
            "GET",
            "uss_availability/uss9".into(),
            None,
            vec![AA, SC, CMSA],
        ),
        (
            "PUT",
            "uss_availability/uss9".into(),
            Some(json!({"old_version": "", "availability": "Normal"})),
            vec![AA],
        ),
    ]
}

fn send(
    dss: &Dss,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> common::Answer {
    call(method, &dss.url(path), token, body)
}

fn every_endpoint_enforces_its_scopes(backend: Backend) {
    let dss = Dss::start(backend);
    let (oir, _) = create_oir(&dss, "uss1", &[here()], &[]);
    let sub = id();
    expect(
        &dss.put(
            &format!("subscriptions/{sub}"),
            &token("uss1", &[SC]),
            &json!({"extents": here(), "uss_base_url": "https://uss.example.com/utm",
                    "notify_for_operational_intents": true}),
        ),
        200,
    );
    let all = [SC, CM, CP, CMSA, AA];
    for (method, path, body, allowed) in endpoints(&oir, &sub) {
        // Each scope the endpoint does not list: 403, and nothing done.
        for scope in all.iter().filter(|s| !allowed.contains(s)) {
            let a = send(
                &dss,
                method,
                &path,
                body.as_ref(),
                Some(&token("uss1", &[scope])),
            );
            assert_eq!(
                a.status, 403,
                "{method} {path} with only {scope}: {}",
                a.text
            );
            assert!(a.body["message"].is_string(), "{}", a.text);
        }
        // A token with only native scopes: 403.
        let native = token("uss1", &["deconflict.read", "deconflict.write"]);
        assert_eq!(
            send(&dss, method, &path, body.as_ref(), Some(&native)).status,
            403,
            "{method} {path}"
        );
        // Each scope it lists gets past authorisation (whatever the answer to the input).
        for scope in &allowed {
            let a = send(
                &dss,
                method,
                &path,
                body.as_ref(),
                Some(&token("uss1", &[scope])),
            );
            assert!(
                a.status != 401
                    && (a.status != 403 || a.text.contains("owned by") || a.text.contains(CMSA)),
                "{method} {path} with {scope}: {} {}",
                a.status,
                a.text
            );
            assert!(
                a.status < 500,
                "{method} {path} with {scope}: {} {}",
                a.status,
                a.text
            );
        }
        // No token, garbage, another scheme: 401 with an ErrorResponse.
        for bad in [None, Some("garbage")] {
            let a = send(&dss, method, &path, body.as_ref(), bad);
            assert_eq!(a.status, 401, "{method} {path}: {}", a.text);
            assert!(a.body["message"].is_string());
        }
    }
    // Nonconforming needs the conformance monitoring scope on top (checked in oir.rs too).
}

fn only_valid_tokens_of_the_configured_audience_are_accepted(backend: Backend) {
    let dss = Dss::start(backend);
    let now = Utc::now().timestamp();
    let claims = |aud: Value, exp: i64, sub: Value| {
        json!({"iss": "https://auth.example.com/", "sub": sub, "aud": aud, "scope": SC,
               "exp": exp, "iat": now, "jti": id()})
    };
    let probe = |t: &str| {
        dss.post(
            "operational_intent_references/query",
            t,
            &json!({"area_of_interest": here()}),
        )
    };
    // RS256 from the configured key, audience the DSS host name: accepted; also with aud as an
    // array that contains it.
    expect(
        &probe(&token_with(&claims(json!(AUD), now + 600, json!("uss1")))),
        200,
    );
    expect(
        &probe(&token_with(&claims(
            json!(["other", AUD]),
            now + 600,
            json!("uss1"),
        ))),
        200,
    );
    // Wrong audience, expired, no subject, empty subject: 401.
    expect(
        &probe(&token_with(&claims(
            json!("dss.other.com"),
            now + 600,
            json!("uss1"),
        ))),
        401,
    );
    expect(
        &probe(&token_with(&claims(json!(AUD), now - 600, json!("uss1")))),
        401,
    );
    expect(
        &probe(&token_with(&claims(json!(AUD), now + 600, Value::Null))),
        401,
    );
    expect(
        &probe(&token_with(&claims(json!(AUD), now + 600, json!("")))),
        401,
    );
    // Signed by another key (a fresh one): 401.
    let other = tempfile::tempdir().unwrap();
    let stranger = deconflict_api::auth::DevKey::load_or_create(&other.path().join("k.pem"))
        .unwrap()
        .mint(
            "uss1",
            &[SC.to_owned()],
            AUD,
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    expect(&probe(&stranger), 401);
    // HS256 with the public key as the secret (algorithm confusion): 401.
    let pem = std::fs::read(fixture("test-only-rsa-public.pem")).unwrap();
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(json!(AUD), now + 600, json!("uss1")),
        &jsonwebtoken::EncodingKey::from_secret(&pem).unwrap(),
    )
    .unwrap();
    expect(&probe(&hs), 401);
    // A tampered payload: 401.
    let good = token("uss1", &[SC]);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    expect(&probe(&parts.join(".")), 401);
}

on_both_stores!(
    every_endpoint_enforces_its_scopes,
    only_valid_tokens_of_the_configured_audience_are_accepted,
);
