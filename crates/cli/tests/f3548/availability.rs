//! `/dss/v1/uss_availability/{uss_id}` (reading and arbitrating a USS's availability, and what
//! a Down USS may no longer do) and `/dss/v1/reports`.

use super::*;

fn get_availability(dss: &Dss, scopes: &[&str], uss: &str) -> Answer {
    dss.get(&format!("uss_availability/{uss}"), &token("reader", scopes))
}

fn set(dss: &Dss, scopes: &[&str], uss: &str, old_version: &str, availability: &str) -> Answer {
    dss.put(
        &format!("uss_availability/{uss}"),
        &token("arbiter", scopes),
        &json!({"old_version": old_version, "availability": availability}),
    )
}

/// Sets `uss`'s availability from whatever it is; returns the new version.
fn mark(dss: &Dss, uss: &str, availability: &str) -> String {
    let a = get_availability(dss, &[AA], uss);
    let current = expect(&a, 200)["version"]
        .as_str()
        .expect("a version")
        .to_owned();
    let a = set(dss, &[AA], uss, &current, availability);
    let body = expect(&a, 200);
    assert_eq!(body["status"]["availability"], availability);
    body["version"].as_str().expect("a version").to_owned()
}

fn oir_path(oir: &str, ovn: Option<&str>) -> String {
    match ovn {
        Some(o) => format!("operational_intent_references/{oir}/{o}"),
        None => format!("operational_intent_references/{oir}"),
    }
}

/// OIR parameters with a new implicit subscription (needed to be Activated).
fn with_subscription(extents: &[Value], state: &str, key: &[&str]) -> Value {
    let mut p = oir_params(extents, state, key);
    p["new_subscription"] = json!({"uss_base_url": "https://uss.example.com/utm"});
    p
}

fn ovn_of(body: &Value) -> String {
    body["operational_intent_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned()
}

fn availability_unknown_by_default(backend: Backend) {
    let dss = Dss::start(backend);
    for scopes in [&[AA][..], &[SC], &[CMSA]] {
        let a = get_availability(&dss, scopes, "uss1");
        assert_eq!(
            *expect(&a, 200),
            json!({"status": {"uss": "uss1", "availability": "Unknown"}, "version": ""}),
            "with {scopes:?}"
        );
    }
    expect(&get_availability(&dss, &[CP], "uss1"), 403);
}

fn availability_set(backend: Backend) {
    let dss = Dss::start(backend);
    // Arbitration only.
    expect(&set(&dss, &[SC], "uss1", "", "Down"), 403);
    expect(&set(&dss, &[SC, CM, CP, CMSA], "uss1", "", "Down"), 403);
    let a = get_availability(&dss, &[SC], "uss1");
    assert_eq!(expect(&a, 200)["status"]["availability"], "Unknown");

    // A version for a USS never set.
    expect(&set(&dss, &[AA], "uss1", "some-version", "Down"), 409);

    let a = set(&dss, &[AA], "uss1", "", "Down");
    let body = expect(&a, 200);
    assert_eq!(
        body["status"],
        json!({"uss": "uss1", "availability": "Down"})
    );
    let v1 = body["version"].as_str().expect("a version").to_owned();
    assert!(!v1.is_empty());

    // "" again, or a wrong version: conflict.
    expect(&set(&dss, &[AA], "uss1", "", "Normal"), 409);
    expect(&set(&dss, &[AA], "uss1", "not-the-version", "Normal"), 409);
    // An invalid availability.
    expect(&set(&dss, &[AA], "uss1", &v1, "Sleeping"), 400);

    for scopes in [&[SC][..], &[CMSA]] {
        let a = get_availability(&dss, scopes, "uss1");
        let body = expect(&a, 200);
        assert_eq!(body["status"]["availability"], "Down");
        assert_eq!(body["version"], v1.as_str());
    }

    let a = set(&dss, &[AA], "uss1", &v1, "Normal");
    let body = expect(&a, 200);
    assert_eq!(body["status"]["availability"], "Normal");
    let v2 = body["version"].as_str().expect("a version").to_owned();
    assert!(!v2.is_empty());
    assert_ne!(v2, v1, "a change gives a new version");
    expect(&set(&dss, &[AA], "uss1", &v1, "Down"), 409);
    let a = get_availability(&dss, &[SC], "uss1");
    assert_eq!(
        *expect(&a, 200),
        json!({"status": {"uss": "uss1", "availability": "Normal"}, "version": v2})
    );
    // Other USSs are untouched.
    let a = get_availability(&dss, &[SC], "uss2");
    assert_eq!(expect(&a, 200)["status"]["availability"], "Unknown");
}

fn down_uss_gets_412(backend: Backend) {
    let dss = Dss::start(backend);
    let uss1 = token("uss1", &[SC]);
    let (oir, ovn) = create_oir(&dss, "uss1", &[here()], &[]);
    mark(&dss, "uss1", "Down");

    let elsewhere = [square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))];
    let new_oir = id();
    let a = dss.put(
        &oir_path(&new_oir, None),
        &uss1,
        &oir_params(&elsewhere, "Accepted", &[]),
    );
    expect(&a, 412);
    let a = dss.put(
        &oir_path(&oir, Some(&ovn)),
        &uss1,
        &with_subscription(&[here()], "Activated", &[]),
    );
    expect(&a, 412);
    let a = dss.delete(&oir_path(&oir, Some(&ovn)), &uss1);
    expect(&a, 412);

    // Nothing changed; its references show it is Down.
    let a = dss.get(&oir_path(&oir, None), &token("uss2", &[SC]));
    let r = &expect(&a, 200)["operational_intent_reference"];
    assert_eq!(r["state"], "Accepted");
    assert_eq!(r["version"], 1);
    assert_eq!(r["uss_availability"], "Down");
    expect(&dss.get(&oir_path(&new_oir, None), &uss1), 404);

    // Back to Normal: the same calls work.
    mark(&dss, "uss1", "Normal");
    let a = dss.put(
        &oir_path(&new_oir, None),
        &uss1,
        &oir_params(&elsewhere, "Accepted", &[]),
    );
    assert_eq!(
        expect(&a, 201)["operational_intent_reference"]["uss_availability"],
        "Normal"
    );
    let a = dss.put(
        &oir_path(&oir, Some(&ovn)),
        &uss1,
        &with_subscription(&[here()], "Activated", &[]),
    );
    let ovn = ovn_of(expect(&a, 200));
    let a = dss.delete(&oir_path(&oir, Some(&ovn)), &uss1);
    expect(&a, 200);
}

fn down_uss_accepted_intents_need_not_be_in_keys(backend: Backend) {
    let dss = Dss::start(backend);
    let uss1 = token("uss1", &[SC]);
    let planned = [square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60))];
    let flying = [square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))];
    let (accepted, _) = create_oir(&dss, "uss1", &planned, &[]);
    let activated = id();
    let a = dss.put(
        &oir_path(&activated, None),
        &uss1,
        &with_subscription(&flying, "Accepted", &[]),
    );
    let ovn = ovn_of(expect(&a, 201));
    let a = dss.put(
        &oir_path(&activated, Some(&ovn)),
        &uss1,
        &with_subscription(&flying, "Activated", &[]),
    );
    expect(&a, 200);

    // While uss1's availability is Unknown, both must be in uss2's keys.
    let a = dss.put(
        &oir_path(&id(), None),
        &token("uss2", &[SC]),
        &oir_params(&planned, "Accepted", &[]),
    );
    expect(&a, 409);

    mark(&dss, "uss1", "Down");
    // The Accepted one of a Down USS need not be.
    let a = dss.put(
        &oir_path(&id(), None),
        &token("uss2", &[SC]),
        &oir_params(&planned, "Accepted", &[]),
    );
    expect(&a, 201);
    // The Activated one must.
    let a = dss.put(
        &oir_path(&id(), None),
        &token("uss3", &[SC]),
        &oir_params(&flying, "Accepted", &[]),
    );
    let body = expect(&a, 409);
    let missing = body["missing_operational_intents"]
        .as_array()
        .expect("missing_operational_intents");
    assert_eq!(missing.len(), 1, "{body}");
    assert_eq!(missing[0]["id"], activated.as_str());
    assert_eq!(missing[0]["uss_availability"], "Down");
    assert_eq!(missing[0]["ovn"], NO_OVN);

    // References of a Down USS say so, in queries too.
    let a = dss.post(
        "operational_intent_references/query",
        &token("uss3", &[SC]),
        &json!({"area_of_interest": planned[0]}),
    );
    let found = expect(&a, 200)["operational_intent_references"]
        .as_array()
        .expect("a list")
        .clone();
    let mine = found
        .iter()
        .find(|r| r["id"] == accepted.as_str())
        .expect("uss1's Accepted intent");
    assert_eq!(mine["uss_availability"], "Down");
    let theirs = found
        .iter()
        .find(|r| r["manager"] == "uss2")
        .expect("uss2's intent");
    assert_eq!(theirs["uss_availability"], "Unknown");
}

fn report(url: &str) -> Value {
    json!({
        "exchange": {
            "url": url,
            "method": "GET",
            "recorder_role": "Client",
            "request_time": time(0),
            "request_source": "uss1",
        }
    })
}

fn reports(backend: Backend) {
    let dss = Dss::start(backend);
    let body = report("https://uss2.example.com/uss/v1/operational_intents/x");
    let a = dss.post("reports", &token("uss1", &[SC]), &body);
    let got = expect(&a, 201);
    let report_id = got["report_id"].as_str().expect("a report_id");
    assert!(!report_id.is_empty());
    assert_eq!(got["exchange"], body["exchange"], "the exchange is echoed");

    let a = dss.post(
        "reports",
        &token("uss1", &[SC]),
        &json!({"problem": "no exchange"}),
    );
    expect(&a, 400);

    let mut seen = std::collections::BTreeSet::from([report_id.to_owned()]);
    for scope in [CM, CP, SC, CMSA, AA] {
        let a = dss.post("reports", &token("uss1", &[scope]), &body);
        let got = expect(&a, 201);
        let report_id = got["report_id"].as_str().expect("a report_id").to_owned();
        assert!(
            seen.insert(report_id),
            "each report gets its own id ({scope})"
        );
    }
    let a = dss.post("reports", &token("uss1", &["deconflict.read"]), &body);
    expect(&a, 403);
}

on_both_stores!(
    availability_unknown_by_default,
    availability_set,
    down_uss_gets_412,
    down_uss_accepted_intents_need_not_be_in_keys,
    reports,
);
