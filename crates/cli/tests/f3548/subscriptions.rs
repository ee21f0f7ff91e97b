//! `/dss/v1/subscriptions`: create, read, update, query and delete; the windows and flags the
//! standard allows; the operational intents and constraints a PUT lists; subscriptions that
//! operational intents depend on; and the notification indexes and `subscribers` of the changes
//! they hear of.

use super::*;

use chrono::DateTime;

/// The base URL of USS `n`'s subscriptions.
fn base(uss: &str) -> String {
    format!("https://{uss}.example.com/utm")
}

/// `PutSubscriptionParameters` of `uss`.
fn params(uss: &str, extents: &Value, ops: bool, constraints: bool) -> Value {
    json!({
        "extents": extents,
        "uss_base_url": base(uss),
        "notify_for_operational_intents": ops,
        "notify_for_constraints": constraints,
    })
}

/// A `Time` at `t`.
fn at(t: DateTime<Utc>) -> Value {
    json!({"value": t.to_rfc3339_opts(SecondsFormat::Millis, true), "format": "RFC3339"})
}

/// The instant of a `Time`.
fn instant(t: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t["value"].as_str().expect("a time value"))
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// Asserts two `Time`s are within a second of each other.
#[track_caller]
fn same_time(got: &Value, want: &Value) {
    let d = (instant(got) - instant(want)).num_milliseconds().abs();
    assert!(d <= 1000, "{got} is not within 1 s of {want}");
}

/// `extents` with its window replaced.
fn with_window(extents: &Value, start: Option<Value>, end: Option<Value>) -> Value {
    let mut v = extents.clone();
    let o = v.as_object_mut().expect("a Volume4D");
    o.remove("time_start");
    o.remove("time_end");
    if let Some(s) = start {
        o.insert("time_start".into(), s);
    }
    if let Some(e) = end {
        o.insert("time_end".into(), e);
    }
    v
}

fn put_sub(dss: &Dss, uss: &str, sub: &str, version: Option<&str>, body: &Value) -> Answer {
    let path = match version {
        Some(v) => format!("subscriptions/{sub}/{v}"),
        None => format!("subscriptions/{sub}"),
    };
    dss.put(&path, &token(uss, &[SC]), body)
}

/// Creates a subscription of `uss`; returns (id, version).
fn create_sub(
    dss: &Dss,
    uss: &str,
    extents: &Value,
    ops: bool,
    constraints: bool,
) -> (String, String) {
    let sub = id();
    let a = put_sub(
        dss,
        uss,
        &sub,
        None,
        &params(uss, extents, ops, constraints),
    );
    let body = expect(&a, 200);
    let version = body["subscription"]["version"]
        .as_str()
        .expect("a version")
        .to_owned();
    (sub, version)
}

/// The notification index given to `sub` in a change response's `subscribers`.
fn index_of(change: &Value, sub: &str) -> Option<u64> {
    change["subscribers"]
        .as_array()
        .expect("subscribers is a list")
        .iter()
        .flat_map(|g| g["subscriptions"].as_array().expect("subscriptions").iter())
        .find(|s| s["subscription_id"] == sub)
        .map(|s| s["notification_index"].as_u64().expect("an index"))
}

/// Creates an Accepted operational intent of `uss` served by subscription `sub`; returns the
/// answer.
fn create_oir_on(dss: &Dss, uss: &str, extents: &[Value], sub: &str) -> Answer {
    let mut p = oir_params(extents, "Accepted", &[]);
    p["subscription_id"] = json!(sub);
    dss.put(
        &format!("operational_intent_references/{}", id()),
        &token(uss, &[SC]),
        &p,
    )
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn subscription_create_and_read(backend: Backend) {
    let dss = Dss::start(backend);
    let extents = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let sub = id();
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        None,
        &params("uss1", &extents, true, false),
    );
    let s = &expect(&a, 200)["subscription"];
    assert_eq!(s["id"], sub.as_str());
    let version = s["version"].as_str().expect("a version").to_owned();
    assert!(!version.is_empty());
    assert_eq!(s["notification_index"], 0);
    assert_eq!(s["implicit_subscription"], false);
    assert_eq!(s["notify_for_operational_intents"], true);
    assert_eq!(s["notify_for_constraints"], false);
    assert_eq!(s["uss_base_url"], base("uss1").as_str());
    same_time(&s["time_start"], &extents["time_start"]);
    same_time(&s["time_end"], &extents["time_end"]);

    // The other flag combination is echoed too.
    let other = id();
    let a = put_sub(
        &dss,
        "uss1",
        &other,
        None,
        &params("uss1", &extents, false, true),
    );
    let s2 = &expect(&a, 200)["subscription"];
    assert_eq!(s2["notify_for_operational_intents"], false);
    assert_eq!(s2["notify_for_constraints"], true);

    // Creating it again is a conflict.
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        None,
        &params("uss1", &extents, true, false),
    );
    expect(&a, 409);

    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    let got = &expect(&a, 200)["subscription"];
    assert_eq!(got["id"], sub.as_str());
    assert_eq!(got["version"], version.as_str());
    assert_eq!(got["notification_index"], 0);
    same_time(&got["time_start"], &extents["time_start"]);

    // Constraint processing suffices to read one's subscriptions.
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[CP]));
    expect(&a, 200);

    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss2", &[SC]));
    expect(&a, 403);
    let a = dss.get(&format!("subscriptions/{}", id()), &token("uss1", &[SC]));
    expect(&a, 404);
    let a = dss.get("subscriptions/not-a-uuid", &token("uss1", &[SC]));
    expect(&a, 400);
}

fn subscription_default_window(backend: Backend) {
    let dss = Dss::start(backend);
    let extents = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60));

    // No window: from now, for 24 h.
    let before = Utc::now();
    let (sub, _) = create_sub(
        &dss,
        "uss1",
        &with_window(&extents, None, None),
        true,
        false,
    );
    let after = Utc::now();
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    let s = &expect(&a, 200)["subscription"];
    let start = instant(&s["time_start"]);
    let end = instant(&s["time_end"]);
    assert!(
        start >= before - chrono::Duration::seconds(1)
            && start <= after + chrono::Duration::seconds(1),
        "a missing start is now: {start} not in [{before}, {after}]"
    );
    assert!(
        ((end - start) - chrono::Duration::hours(24))
            .num_milliseconds()
            .abs()
            <= 1000,
        "a missing end is 24 h after the start: {start} .. {end}"
    );

    // A start but no end: 24 h after the start.
    let start = Utc::now() + chrono::Duration::minutes(30);
    let a = put_sub(
        &dss,
        "uss1",
        &id(),
        None,
        &params(
            "uss1",
            &with_window(&extents, Some(at(start)), None),
            true,
            false,
        ),
    );
    let s = &expect(&a, 200)["subscription"];
    same_time(&s["time_start"], &at(start));
    same_time(&s["time_end"], &at(start + chrono::Duration::hours(24)));
}

fn subscription_update(backend: Backend) {
    let dss = Dss::start(backend);
    let extents = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let (sub, v1) = create_sub(&dss, "uss1", &extents, true, false);

    let wider = square(34.0, -118.0, 0.02, (0.0, 200.0), (0, 90));
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&v1),
        &params("uss1", &wider, true, true),
    );
    let s = &expect(&a, 200)["subscription"];
    let v2 = s["version"].as_str().expect("a version").to_owned();
    assert_ne!(v2, v1, "an update changes the version");
    assert_eq!(s["notify_for_constraints"], true);
    same_time(&s["time_end"], &wider["time_end"]);
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    assert_eq!(expect(&a, 200)["subscription"]["version"], v2.as_str());

    // Without a window, an update keeps the old one.
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&v2),
        &params("uss1", &with_window(&wider, None, None), true, true),
    );
    let s = &expect(&a, 200)["subscription"];
    same_time(&s["time_start"], &wider["time_start"]);
    same_time(&s["time_end"], &wider["time_end"]);
    let v2 = s["version"].as_str().expect("a version").to_owned();

    // The old version is stale.
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&v1),
        &params("uss1", &extents, true, false),
    );
    expect(&a, 409);

    // Updating a subscription that does not exist (reference DSS: 400, not 404).
    let a = put_sub(
        &dss,
        "uss1",
        &id(),
        Some(&v2),
        &params("uss1", &extents, true, false),
    );
    expect(&a, 400);

    // Another USS, even with the right version.
    let a = put_sub(
        &dss,
        "uss2",
        &sub,
        Some(&v2),
        &params("uss2", &extents, true, false),
    );
    expect(&a, 403);

    // Nothing changed.
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    let s = &expect(&a, 200)["subscription"];
    assert_eq!(s["version"], v2.as_str());
    assert_eq!(s["uss_base_url"], base("uss1").as_str());
}

fn subscription_validation(backend: Backend) {
    let dss = Dss::start(backend);
    let extents = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let create = |body: &Value| put_sub(&dss, "uss1", &id(), None, body);

    // At least one notification trigger.
    expect(&create(&params("uss1", &extents, false, false)), 400);
    let mut no_flags = params("uss1", &extents, true, false);
    let o = no_flags.as_object_mut().expect("an object");
    o.remove("notify_for_operational_intents");
    o.remove("notify_for_constraints");
    expect(&create(&no_flags), 400);

    // A window of at most 24 h.
    let start = Utc::now() + chrono::Duration::minutes(1);
    let day = with_window(
        &extents,
        Some(at(start)),
        Some(at(start + chrono::Duration::hours(24))),
    );
    expect(&create(&params("uss1", &day, true, false)), 200);
    let longer = with_window(
        &extents,
        Some(at(start)),
        Some(at(start
            + chrono::Duration::hours(24)
            + chrono::Duration::minutes(1))),
    );
    expect(&create(&params("uss1", &longer, true, false)), 400);

    // Starting in the past: 10 s is clock skew, more than 5 min is refused.
    let recent = with_window(
        &extents,
        Some(at(Utc::now() - chrono::Duration::seconds(10))),
        Some(time(60)),
    );
    expect(&create(&params("uss1", &recent, true, false)), 200);
    let old = with_window(&extents, Some(time(-6)), Some(time(60)));
    expect(&create(&params("uss1", &old, true, false)), 400);

    // Ending before it starts.
    let backwards = with_window(&extents, Some(time(60)), Some(time(30)));
    expect(&create(&params("uss1", &backwards, true, false)), 400);

    // Required fields.
    let mut no_extents = params("uss1", &extents, true, false);
    no_extents
        .as_object_mut()
        .expect("an object")
        .remove("extents");
    expect(&create(&no_extents), 400);
    let mut no_url = params("uss1", &extents, true, false);
    no_url
        .as_object_mut()
        .expect("an object")
        .remove("uss_base_url");
    expect(&create(&no_url), 400);

    // Geometry and altitude.
    let mut bad_lat = extents.clone();
    bad_lat["volume"]["outline_polygon"]["vertices"][0]["lat"] = json!(91.0);
    expect(&create(&params("uss1", &bad_lat, true, false)), 400);
    // About 10 000 km², above the 2500 km² limit (the standard lists no 413 here).
    let huge = square(30.0, -100.0, 1.0, (0.0, 120.0), (0, 60));
    expect(&create(&params("uss1", &huge, true, false)), 400);
    let mut sfc = extents.clone();
    sfc["volume"]["altitude_lower"]["reference"] = json!("SFC");
    expect(&create(&params("uss1", &sfc, true, false)), 400);

    // An update may not stretch the window beyond 24 h either.
    let (sub, version) = create_sub(&dss, "uss1", &extents, true, false);
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&version),
        &params("uss1", &longer, true, false),
    );
    expect(&a, 400);

    // None of the refused requests created anything.
    let a = dss.post(
        "subscriptions/query",
        &token("uss1", &[SC]),
        &json!({"area_of_interest": extents}),
    );
    assert_eq!(
        expect(&a, 200)["subscriptions"]
            .as_array()
            .expect("a list")
            .len(),
        3,
        "only the 24 h, the 10 s in the past and the last subscriptions exist"
    );
}

fn subscription_lists_what_is_in_its_area(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (0, 90));
    let (theirs, _) = create_oir(&dss, "uss2", &[here()], &[]);
    let (mine, my_ovn) = create_oir(
        &dss,
        "uss1",
        &[square(34.012, -117.988, 0.005, (0.0, 120.0), (0, 60))],
        &[],
    );
    let (far, _) = create_oir(
        &dss,
        "uss2",
        &[square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))],
        &[],
    );
    let constraint = id();
    let a = dss.put(
        &format!("constraint_references/{constraint}"),
        &token("uss3", &[CM]),
        &json!({"extents": [here()], "uss_base_url": base("uss3")}),
    );
    expect(&a, 201);

    // Operational intents only.
    let a = put_sub(
        &dss,
        "uss1",
        &id(),
        None,
        &params("uss1", &area, true, false),
    );
    let body = expect(&a, 200);
    let oirs = body["operational_intent_references"]
        .as_array()
        .expect("operational_intent_references when notifying for them");
    assert_eq!(
        oirs.len(),
        2,
        "the two operational intents in the area: {body}"
    );
    let theirs_ref = oirs
        .iter()
        .find(|o| o["id"] == theirs.as_str())
        .expect("theirs");
    assert_eq!(theirs_ref["ovn"], NO_OVN);
    assert_eq!(theirs_ref["manager"], "uss2");
    let mine_ref = oirs
        .iter()
        .find(|o| o["id"] == mine.as_str())
        .expect("mine");
    assert_eq!(mine_ref["ovn"], my_ovn.as_str());
    assert!(!ids(&body["operational_intent_references"]).contains(&far));
    assert!(
        body.get("constraint_references").is_none()
            || body["constraint_references"]
                .as_array()
                .is_some_and(Vec::is_empty),
        "no constraints without notify_for_constraints: {body}"
    );

    // Constraints only.
    let a = put_sub(
        &dss,
        "uss1",
        &id(),
        None,
        &params("uss1", &area, false, true),
    );
    let body = expect(&a, 200);
    let constraints = body["constraint_references"]
        .as_array()
        .expect("constraint_references when notifying for them");
    assert_eq!(
        ids(&body["constraint_references"]),
        vec![constraint.clone()]
    );
    assert_eq!(constraints[0]["ovn"], NO_OVN);
    assert!(
        body.get("operational_intent_references").is_none()
            || body["operational_intent_references"]
                .as_array()
                .is_some_and(Vec::is_empty),
        "no operational intents without notify_for_operational_intents: {body}"
    );

    // Both.
    let a = put_sub(
        &dss,
        "uss1",
        &id(),
        None,
        &params("uss1", &area, true, true),
    );
    let body = expect(&a, 200);
    assert_eq!(ids(&body["operational_intent_references"]).len(), 2);
    assert_eq!(ids(&body["constraint_references"]), vec![constraint]);

    // An area with nothing in it.
    let empty = square(36.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let a = put_sub(
        &dss,
        "uss1",
        &id(),
        None,
        &params("uss1", &empty, true, true),
    );
    let body = expect(&a, 200);
    assert_eq!(
        ids(&body["operational_intent_references"]),
        Vec::<String>::new()
    );
    assert_eq!(ids(&body["constraint_references"]), Vec::<String>::new());
}

fn subscription_query(backend: Backend) {
    let dss = Dss::start(backend);
    let one = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let two = square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let (mine, _) = create_sub(&dss, "uss1", &one, true, false);
    let (_elsewhere, _) = create_sub(&dss, "uss1", &two, true, false);
    let (_theirs, _) = create_sub(&dss, "uss2", &one, true, false);
    let query = |area: &Value| {
        dss.post(
            "subscriptions/query",
            &token("uss1", &[SC]),
            &json!({"area_of_interest": area}),
        )
    };

    let a = query(&square(34.002, -117.998, 0.002, (0.0, 120.0), (0, 60)));
    assert_eq!(ids(&expect(&a, 200)["subscriptions"]), vec![mine]);
    let a = query(&square(36.0, -118.0, 0.01, (0.0, 120.0), (0, 60)));
    assert_eq!(ids(&expect(&a, 200)["subscriptions"]), Vec::<String>::new());

    let a = dss.post("subscriptions/query", &token("uss1", &[SC]), &json!({}));
    expect(&a, 400);
    // About 10 000 km², above the 2500 km² limit.
    let a = query(&square(30.0, -100.0, 1.0, (0.0, 120.0), (0, 60)));
    expect(&a, 413);
}

fn subscription_delete(backend: Backend) {
    let dss = Dss::start(backend);
    let extents = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60));
    let (sub, v1) = create_sub(&dss, "uss1", &extents, true, false);
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&v1),
        &params("uss1", &extents, true, true),
    );
    let v2 = expect(&a, 200)["subscription"]["version"]
        .as_str()
        .expect("a version")
        .to_owned();

    let a = dss.delete(&format!("subscriptions/{sub}/{v1}"), &token("uss1", &[SC]));
    expect(&a, 409);
    let a = dss.delete(&format!("subscriptions/{sub}/{v2}"), &token("uss2", &[SC]));
    expect(&a, 403);
    let a = dss.delete(
        &format!("subscriptions/{}/{v2}", id()),
        &token("uss1", &[SC]),
    );
    expect(&a, 404);

    let a = dss.delete(&format!("subscriptions/{sub}/{v2}"), &token("uss1", &[SC]));
    let s = &expect(&a, 200)["subscription"];
    assert_eq!(s["id"], sub.as_str());
    assert_eq!(s["version"], v2.as_str());
    assert_eq!(s["notify_for_constraints"], true);

    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    expect(&a, 404);
    let a = dss.delete(&format!("subscriptions/{sub}/{v2}"), &token("uss1", &[SC]));
    expect(&a, 404);
}

fn subscription_with_dependent_operational_intent(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 120));
    let (sub, v1) = create_sub(&dss, "uss1", &area, true, false);
    let a = create_oir_on(&dss, "uss1", &[here()], &sub);
    let oir = expect(&a, 201)["operational_intent_reference"].clone();
    assert_eq!(oir["subscription_id"], sub.as_str());
    let oir_id = oir["id"].as_str().expect("an id").to_owned();

    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    let s = expect(&a, 200)["subscription"].clone();
    assert_eq!(
        s["dependent_operational_intents"],
        json!([oir_id.clone()]),
        "the subscription lists the operational intent it serves"
    );
    let version = s["version"].as_str().expect("a version").to_owned();
    assert_eq!(version, v1);

    // It cannot be deleted.
    let a = dss.delete(
        &format!("subscriptions/{sub}/{version}"),
        &token("uss1", &[SC]),
    );
    expect(&a, 400);

    // Nor moved away from the operational intent, nor ended before it.
    let away = square(35.0, -118.0, 0.02, (0.0, 200.0), (-1, 120));
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&version),
        &params("uss1", &away, true, false),
    );
    expect(&a, 400);
    let short = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 30));
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&version),
        &params("uss1", &short, true, false),
    );
    expect(&a, 400);

    // Still there, unchanged; an update that keeps covering it is fine.
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss1", &[SC]));
    assert_eq!(expect(&a, 200)["subscription"]["version"], version.as_str());
    let wider = square(33.99, -118.01, 0.04, (0.0, 300.0), (-1, 180));
    let a = put_sub(
        &dss,
        "uss1",
        &sub,
        Some(&version),
        &params("uss1", &wider, true, false),
    );
    let s = &expect(&a, 200)["subscription"];
    assert_eq!(s["dependent_operational_intents"], json!([oir_id]));
}

fn notification_indexes(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 90));
    let (sub, _) = create_sub(&dss, "uss2", &area, true, false);
    let uss1 = token("uss1", &[SC]);

    // Created in its area: index 1; updated: 2; deleted: 3.
    let oir = id();
    let a = dss.put(
        &format!("operational_intent_references/{oir}"),
        &uss1,
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&a, 201).clone();
    assert_eq!(index_of(&body, &sub), Some(1), "creation: index 1: {body}");
    let ovn = body["operational_intent_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();
    let a = dss.put(
        &format!("operational_intent_references/{oir}/{ovn}"),
        &uss1,
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&a, 200).clone();
    assert_eq!(index_of(&body, &sub), Some(2), "update: index 2: {body}");
    let group = body["subscribers"]
        .as_array()
        .expect("subscribers")
        .iter()
        .find(|g| g["uss_base_url"] == base("uss2").as_str())
        .expect("a group for uss2's base URL");
    assert_eq!(group["subscriptions"].as_array().expect("a list").len(), 1);
    let ovn = body["operational_intent_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();

    let a = dss.delete(&format!("operational_intent_references/{oir}/{ovn}"), &uss1);
    assert_eq!(
        index_of(expect(&a, 200), &sub),
        Some(3),
        "deletion: index 3"
    );

    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss2", &[SC]));
    assert_eq!(expect(&a, 200)["subscription"]["notification_index"], 3);

    // Outside its area, and outside its window: not told.
    let elsewhere = dss.put(
        &format!("operational_intent_references/{}", id()),
        &uss1,
        &oir_params(
            &[square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))],
            "Accepted",
            &[],
        ),
    );
    assert_eq!(index_of(expect(&elsewhere, 201), &sub), None);
    let later = dss.put(
        &format!("operational_intent_references/{}", id()),
        &uss1,
        &oir_params(
            &[square(34.0, -118.0, 0.01, (0.0, 120.0), (120, 180))],
            "Accepted",
            &[],
        ),
    );
    assert_eq!(index_of(expect(&later, 201), &sub), None);
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss2", &[SC]));
    assert_eq!(expect(&a, 200)["subscription"]["notification_index"], 3);
}

fn moving_out_of_an_area_is_notified(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 90));
    let (sub, _) = create_sub(&dss, "uss2", &area, true, false);
    let uss1 = token("uss1", &[SC]);
    let (oir, ovn) = create_oir(&dss, "uss1", &[here()], &[]);
    // Moved away: the old volume was in the area, so the subscription hears of it.
    let away = [square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))];
    let a = dss.put(
        &format!("operational_intent_references/{oir}/{ovn}"),
        &uss1,
        &oir_params(&away, "Accepted", &[]),
    );
    let body = expect(&a, 200);
    assert_eq!(index_of(body, &sub), Some(2), "{body}");
    let ovn = body["operational_intent_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();
    // Changed again far away: no longer.
    let a = dss.put(
        &format!("operational_intent_references/{oir}/{ovn}"),
        &uss1,
        &oir_params(&away, "Accepted", &[]),
    );
    assert_eq!(index_of(expect(&a, 200), &sub), None);
    let a = dss.get(&format!("subscriptions/{sub}"), &token("uss2", &[SC]));
    assert_eq!(expect(&a, 200)["subscription"]["notification_index"], 2);
}

fn own_subscriptions_are_subscribers(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 90));
    let (sub, _) = create_sub(&dss, "uss1", &area, true, false);
    let a = dss.put(
        &format!("operational_intent_references/{}", id()),
        &token("uss1", &[SC]),
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&a, 201);
    assert_eq!(index_of(body, &sub), Some(1), "own subscription: {body}");
}

fn subscribers_grouped_by_base_url(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 90));
    let (a1, _) = create_sub(&dss, "uss2", &area, true, false);
    let (a2, _) = create_sub(&dss, "uss2", &area, true, false);
    let (b, _) = create_sub(&dss, "uss3", &area, true, false);
    let a = dss.put(
        &format!("operational_intent_references/{}", id()),
        &token("uss1", &[SC]),
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&a, 201);
    let groups = body["subscribers"].as_array().expect("subscribers");
    assert_eq!(groups.len(), 2, "one group per base URL: {body}");
    let group = |url: String| {
        let found: Vec<&Value> = groups
            .iter()
            .filter(|g| g["uss_base_url"] == url.as_str())
            .collect();
        assert_eq!(found.len(), 1, "one group for {url}: {body}");
        let mut subs = ids_of_group(found[0]);
        subs.sort();
        subs
    };
    let mut want = vec![a1, a2];
    want.sort();
    assert_eq!(group(base("uss2")), want);
    assert_eq!(group(base("uss3")), vec![b]);
}

fn ids_of_group(group: &Value) -> Vec<String> {
    group["subscriptions"]
        .as_array()
        .expect("subscriptions")
        .iter()
        .map(|s| s["subscription_id"].as_str().expect("an id").to_owned())
        .collect()
}

fn constraint_subscriptions_hear_of_constraints_only(backend: Backend) {
    let dss = Dss::start(backend);
    let area = square(34.0, -118.0, 0.02, (0.0, 200.0), (-1, 90));
    let (constraints_only, _) = create_sub(&dss, "uss2", &area, false, true);
    let (ops_only, _) = create_sub(&dss, "uss2", &area, true, false);

    let a = dss.put(
        &format!("operational_intent_references/{}", id()),
        &token("uss1", &[SC]),
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&a, 201);
    assert_eq!(index_of(body, &constraints_only), None, "{body}");
    assert_eq!(index_of(body, &ops_only), Some(1), "{body}");

    let a = dss.put(
        &format!("constraint_references/{}", id()),
        &token("uss3", &[CM]),
        &json!({"extents": [here()], "uss_base_url": base("uss3")}),
    );
    let body = expect(&a, 201);
    assert_eq!(index_of(body, &constraints_only), Some(1), "{body}");
    assert_eq!(index_of(body, &ops_only), None, "{body}");
}

on_both_stores!(
    subscription_create_and_read,
    subscription_default_window,
    subscription_update,
    subscription_validation,
    subscription_lists_what_is_in_its_area,
    subscription_query,
    subscription_delete,
    subscription_with_dependent_operational_intent,
    notification_indexes,
    moving_out_of_an_area_is_notified,
    own_subscriptions_are_subscribers,
    subscribers_grouped_by_base_url,
    constraint_subscriptions_hear_of_constraints_only,
);
