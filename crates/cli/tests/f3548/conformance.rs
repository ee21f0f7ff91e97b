//! The details independent conformance suites checked (issue 17, items 1–7), and the two
//! schema and availability holes of issue 19 (items 5 and 7): empty path segments, unknown
//! paths and methods, subscription coverage of an intent's start, availability in any case,
//! subscriptions made explicit by their manager, the auxiliary API, the key rule's scope and
//! `requested_ovn_suffix`; an arbiter cannot lift a native party's protection; reports and
//! availability changes follow the schema.

use super::*;

fn sub_params(extents: &Value) -> Value {
    json!({
        "extents": extents,
        "uss_base_url": "https://uss1.example.com/utm",
        "notify_for_operational_intents": true,
        "notify_for_constraints": false,
    })
}

fn empty_segments_and_unknown_paths(backend: Backend) {
    let dss = Dss::start(backend);
    let uss = token("uss1", &[SC, CM]);
    let body = sub_params(&here());
    let sub = id();
    for (method, path) in [
        ("PUT", format!("subscriptions/{sub}/")),
        ("DELETE", format!("subscriptions/{sub}/")),
        ("PUT", format!("operational_intent_references/{}/", id())),
        ("DELETE", format!("operational_intent_references/{}/", id())),
        ("PUT", format!("constraint_references/{}/", id())),
        ("DELETE", format!("constraint_references/{}/", id())),
    ] {
        let a = call(method, &dss.url(&path), Some(&uss), Some(&body));
        expect(&a, 400);
        assert!(
            a.body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Missing")),
            "{method} {path}: {}",
            a.text
        );
    }
    for path in ["nothing", "operational_intent_references/a/b/c", ""] {
        expect(&dss.get(path, &uss), 404);
    }
    // A method the endpoint does not have: 405, with an ErrorResponse too.
    expect(&dss.post(&format!("subscriptions/{sub}"), &uss, &body), 405);
}

fn subscription_update_keeps_covering_the_intents_start(backend: Backend) {
    let dss = Dss::start(backend);
    let uss = token("uss1", &[SC]);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (0, 120));
    let sub = id();
    let a = dss.put(&format!("subscriptions/{sub}"), &uss, &sub_params(&area));
    let version = expect(&a, 200)["subscription"]["version"]
        .as_str()
        .expect("a version")
        .to_owned();
    let mut p = oir_params(
        &[square(34.0, -118.0, 0.01, (0.0, 120.0), (10, 60))],
        "Accepted",
        &[],
    );
    p["subscription_id"] = json!(sub);
    expect(
        &dss.put(&format!("operational_intent_references/{}", id()), &uss, &p),
        201,
    );
    // Starting after the intent starts: refused; starting before: accepted.
    let late = square(34.0, -118.0, 0.02, (0.0, 200.0), (20, 120));
    let a = dss.put(
        &format!("subscriptions/{sub}/{version}"),
        &uss,
        &sub_params(&late),
    );
    expect(&a, 400);
    let early = square(34.0, -118.0, 0.02, (0.0, 200.0), (5, 120));
    let a = dss.put(
        &format!("subscriptions/{sub}/{version}"),
        &uss,
        &sub_params(&early),
    );
    expect(&a, 200);
}

fn availability_in_any_case_and_old_version_a_string(backend: Backend) {
    let dss = Dss::start(backend);
    let arbiter = token("arbiter", &[AA]);
    let put = |body: Value| dss.put("uss_availability/uss1", &arbiter, &body);
    // `null` is not a string: refused, nothing set.
    expect(
        &put(json!({"old_version": null, "availability": "Down"})),
        400,
    );
    let a = dss.get("uss_availability/uss1", &arbiter);
    assert_eq!(expect(&a, 200)["version"], "");
    let a = put(json!({"old_version": "", "availability": "normal"}));
    let body = expect(&a, 200);
    assert_eq!(body["status"]["availability"], "Normal");
    let version = body["version"].as_str().expect("a version").to_owned();
    let a = put(json!({"old_version": version, "availability": "DOWN"}));
    assert_eq!(expect(&a, 200)["status"]["availability"], "Down");
    expect(&put(json!({"old_version": 7, "availability": "Down"})), 400);
    expect(
        &put(json!({"old_version": "", "availability": "sideways"})),
        400,
    );
}

fn a_subscription_written_by_its_manager_becomes_explicit(backend: Backend) {
    let dss = Dss::start(backend);
    let uss = token("uss1", &[SC]);
    let oir = id();
    let mut p = oir_params(&[here()], "Accepted", &[]);
    p["new_subscription"] = json!({"uss_base_url": "https://uss1.example.com/utm"});
    let a = dss.put(&format!("operational_intent_references/{oir}"), &uss, &p);
    let r = expect(&a, 201)["operational_intent_reference"].clone();
    let ovn = r["ovn"].as_str().expect("an ovn").to_owned();
    let sub = r["subscription_id"].as_str().expect("a sub").to_owned();
    let a = dss.get(&format!("subscriptions/{sub}"), &uss);
    let s = expect(&a, 200)["subscription"].clone();
    assert_eq!(s["implicit_subscription"], true);
    let version = s["version"].as_str().expect("a version").to_owned();
    let area = square(33.99, -118.01, 0.03, (0.0, 200.0), (0, 90));
    let a = dss.put(
        &format!("subscriptions/{sub}/{version}"),
        &uss,
        &sub_params(&area),
    );
    let s = expect(&a, 200)["subscription"].clone();
    assert_eq!(s["implicit_subscription"], false);
    // Deleting the intent leaves it; its manager deletes it.
    expect(
        &dss.delete(&format!("operational_intent_references/{oir}/{ovn}"), &uss),
        200,
    );
    let a = dss.get(&format!("subscriptions/{sub}"), &uss);
    let version = expect(&a, 200)["subscription"]["version"]
        .as_str()
        .expect("a version")
        .to_owned();
    expect(
        &dss.delete(&format!("subscriptions/{sub}/{version}"), &uss),
        200,
    );
}

fn aux_api(backend: Backend) {
    let dss = Dss::start(backend);
    let aux = |path: &str, token: Option<&str>| {
        call("GET", &format!("{}/aux/v1/{path}", dss.base), token, None)
    };
    let a = aux("version", None);
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.body["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{}",
        a.text
    );
    let uss = token("uss1", &[SC]);
    assert_eq!(aux("validate_oauth", Some(&uss)).status, 200);
    assert_eq!(aux("validate_oauth?owner=uss1", Some(&uss)).status, 200);
    expect(&aux("validate_oauth?owner=uss2", Some(&uss)), 403);
    for rid in [
        "dss.read.identification_service_areas",
        "dss.write.identification_service_areas",
    ] {
        assert_eq!(
            aux("validate_oauth", Some(&token("uss1", &[rid]))).status,
            200
        );
    }
    expect(
        &aux("validate_oauth", Some(&token("uss1", &["deconflict.read"]))),
        403,
    );
    expect(&aux("validate_oauth", None), 401);
    expect(&aux("validate_oauth", Some("not.a.token")), 401);
}

/// An intent that no single volume of another meets, though their unions do: 201 under the
/// exact scope (the default), 409 naming it under `--dss-key-scope union` (the reference).
fn key_scope_union_reproduces_the_reference(backend: Backend) {
    let place_a = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 10));
    let request = [
        // Where the other is, but later...
        square(34.0, -118.0, 0.01, (0.0, 120.0), (20, 30)),
        // ...and when it is, elsewhere.
        square(34.1, -118.0, 0.01, (0.0, 120.0), (0, 10)),
    ];
    for (flags, want) in [(&[][..], 201), (&["--dss-key-scope", "union"][..], 409)] {
        let dss = Dss::start_with(backend, flags);
        let (other, _) = create_oir(&dss, "uss2", std::slice::from_ref(&place_a), &[]);
        let a = dss.put(
            &format!("operational_intent_references/{}", id()),
            &token("uss1", &[SC]),
            &oir_params(&request, "Accepted", &[]),
        );
        let body = expect(&a, want);
        if want == 409 {
            let missing = &body["missing_operational_intents"];
            assert_eq!(missing[0]["id"], other.as_str(), "{body}");
        }
    }
}

/// A version-7 UUID of a time `minutes` from now.
fn uuid_v7(minutes: i64) -> String {
    let ms = (Utc::now() + chrono::Duration::minutes(minutes)).timestamp_millis();
    let random: [u8; 10] = uuid::Uuid::new_v4().as_bytes()[..10]
        .try_into()
        .expect("ten bytes");
    uuid::Builder::from_unix_timestamp_millis(u64::try_from(ms).expect("after 1970"), &random)
        .into_uuid()
        .to_string()
}

fn requested_ovn_suffix(backend: Backend) {
    let dss = Dss::start(backend);
    let uss = token("uss1", &[SC]);
    let oir = id();
    let path = format!("operational_intent_references/{oir}");
    let with = |suffix: &str| {
        let mut p = oir_params(&[here()], "Accepted", &[]);
        p["requested_ovn_suffix"] = json!(suffix);
        p
    };
    // Not a UUIDv7, or too far from now: refused.
    expect(&dss.put(&path, &uss, &with(&id())), 400);
    expect(&dss.put(&path, &uss, &with(&uuid_v7(-10))), 400);
    expect(&dss.put(&path, &uss, &with(&uuid_v7(10))), 400);
    expect(&dss.put(&path, &uss, &with("not-a-uuid")), 400);
    let suffix = uuid_v7(0);
    let a = dss.put(&path, &uss, &with(&suffix));
    let ovn = expect(&a, 201)["operational_intent_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();
    assert_eq!(ovn, format!("{oir}_{suffix}"));
    // The same suffix again would keep the OVN: refused; a new one is honoured.
    let update = format!("{path}/{ovn}");
    expect(&dss.put(&update, &uss, &with(&suffix)), 400);
    let next = uuid_v7(1);
    let a = dss.put(&update, &uss, &with(&next));
    assert_eq!(
        expect(&a, 200)["operational_intent_reference"]["ovn"],
        format!("{oir}_{next}")
    );
    // Constraints too.
    let cid = id();
    let suffix = uuid_v7(0);
    let a = dss.put(
        &format!("constraint_references/{cid}"),
        &token("uss1", &[CM]),
        &json!({"extents": [here()], "uss_base_url": "https://uss1.example.com/utm",
                "requested_ovn_suffix": suffix}),
    );
    assert_eq!(
        expect(&a, 201)["constraint_reference"]["ovn"],
        format!("{cid}_{suffix}")
    );
}

/// Issue 19, item 5: an arbiter marking a native party Down does not let USSs plan over its
/// natively filed operations unnamed; the native API refuses them as before.
fn marking_a_native_party_down_lifts_no_protection(backend: Backend) {
    let dss = Dss::start(backend);
    let volume = native_square(34.0, -118.0, 0.01, (0, 60));
    let (op, _) = file_native(&dss, "party-a", &[volume], "Accepted");
    let arbiter = token("arbiter", &[AA]);
    let a = dss.put(
        "uss_availability/party-a",
        &arbiter,
        &json!({"old_version": "", "availability": "Down"}),
    );
    expect(&a, 200);
    let a = dss.put(
        &format!("operational_intent_references/{}", id()),
        &token("uss1", &[SC]),
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&a, 409);
    assert_eq!(body["missing_operational_intents"][0]["id"], op.as_str());
    // Its managing USS is this server, which is up: the reference says so.
    assert_eq!(
        body["missing_operational_intents"][0]["uss_availability"],
        "Normal"
    );
    // A USS's own Accepted intent is still exempt when its USS is Down (the standard's rule).
    let (theirs, _) = create_oir(
        &dss,
        "uss2",
        &[square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))],
        &[],
    );
    let a = dss.put(
        "uss_availability/uss2",
        &arbiter,
        &json!({"old_version": "", "availability": "Down"}),
    );
    expect(&a, 200);
    let (mine, _) = create_oir(
        &dss,
        "uss1",
        &[square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))],
        &[],
    );
    assert_ne!(
        mine, theirs,
        "planned over a Down USS's Accepted intent without its OVN"
    );
}

/// Issue 19, item 7: a report follows `ErrorReport` — `problem` is a string, what the schema
/// does not declare is neither archived nor echoed.
fn reports_follow_the_schema(backend: Backend) {
    let dss = Dss::start(backend);
    let uss = token("uss1", &[SC]);
    let exchange = |problem: Value| {
        json!({"exchange": {
            "url": "https://uss2.example.com/uss/v1/operational_intents/x",
            "method": "GET",
            "recorder_role": "Client",
            "request_time": time(0),
            "problem": problem,
            "undeclared": {"a": 1},
        }})
    };
    expect(&dss.post("reports", &uss, &exchange(json!({}))), 400);
    expect(&dss.post("reports", &uss, &exchange(json!(["x"]))), 400);
    let a = dss.post("reports", &uss, &exchange(json!("timed out")));
    let body = expect(&a, 201);
    assert_eq!(body["exchange"]["problem"], "timed out");
    assert!(body["exchange"].get("undeclared").is_none(), "{body}");
    let mut no_problem = exchange(json!(null));
    no_problem["exchange"]
        .as_object_mut()
        .expect("an object")
        .remove("problem");
    let a = dss.post("reports", &uss, &no_problem);
    assert!(expect(&a, 201)["exchange"].get("problem").is_none());
    let mut bad_role = exchange(json!("x"));
    bad_role["exchange"]["recorder_role"] = json!("Bystander");
    expect(&dss.post("reports", &uss, &bad_role), 400);
}

on_both_stores!(
    empty_segments_and_unknown_paths,
    subscription_update_keeps_covering_the_intents_start,
    availability_in_any_case_and_old_version_a_string,
    a_subscription_written_by_its_manager_becomes_explicit,
    aux_api,
    key_scope_union_reproduces_the_reference,
    requested_ovn_suffix,
    marking_a_native_party_down_lifts_no_protection,
    reports_follow_the_schema,
);
