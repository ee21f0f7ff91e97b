//! `/dss/v1/constraint_references`: the scopes that write and read them, create, read, update,
//! query and delete with their OVNs, validation, and that a constraint is a zone of the native
//! API.

use super::*;

use chrono::DateTime;

const URL: &str = "https://constraints.example.com/utm";

fn params(extents: &[Value]) -> Value {
    json!({"extents": extents, "uss_base_url": URL})
}

fn put(dss: &Dss, uss: &str, scopes: &[&str], path: &str, body: &Value) -> Answer {
    dss.put(
        &format!("constraint_references/{path}"),
        &token(uss, scopes),
        body,
    )
}

/// Creates a constraint of `uss`; returns (id, ovn).
fn create(dss: &Dss, uss: &str, extents: &[Value]) -> (String, String) {
    let c = id();
    let a = put(dss, uss, &[CM], &c, &params(extents));
    let ovn = expect(&a, 201)["constraint_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();
    (c, ovn)
}

fn get(dss: &Dss, uss: &str, scopes: &[&str], c: &str) -> Answer {
    dss.get(&format!("constraint_references/{c}"), &token(uss, scopes))
}

fn instant(t: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t["value"].as_str().expect("a time value"))
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

#[track_caller]
fn same_time(got: &Value, want: &Value) {
    let d = (instant(got) - instant(want)).num_milliseconds().abs();
    assert!(d <= 1000, "{got} is not within 1 s of {want}");
}

fn ids(answer: &Answer) -> Vec<String> {
    expect(answer, 200)["constraint_references"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn constraint_scopes(backend: Backend) {
    let dss = Dss::start(backend);
    let c = id();
    expect(&put(&dss, "uss1", &[SC], &c, &params(&[here()])), 403);
    expect(&put(&dss, "uss1", &[CP], &c, &params(&[here()])), 403);
    expect(
        &put(&dss, "uss1", &[SC, CP, CMSA], &c, &params(&[here()])),
        403,
    );
    // Nothing was created.
    expect(&get(&dss, "uss1", &[CP], &c), 404);
    expect(&put(&dss, "uss1", &[CM], &c, &params(&[here()])), 201);
    // Reading needs constraint management or processing.
    expect(&get(&dss, "uss2", &[SC], &c), 403);
    expect(&get(&dss, "uss2", &[CP], &c), 200);
    expect(&get(&dss, "uss2", &[CM], &c), 200);
}

fn constraint_create_and_read(backend: Backend) {
    let dss = Dss::start(backend);
    let extents = [
        square(34.0, -118.0, 0.01, (0.0, 120.0), (10, 60)),
        square(34.0, -118.0, 0.01, (0.0, 120.0), (30, 90)),
    ];
    let c = id();
    let a = put(&dss, "uss1", &[CM], &c, &params(&extents));
    let body = expect(&a, 201);
    assert!(body["subscribers"].is_array(), "subscribers: {body}");
    let r = &body["constraint_reference"];
    assert_eq!(r["id"], c.as_str());
    assert_eq!(r["manager"], "uss1");
    assert_eq!(r["version"], 1);
    assert_eq!(r["uss_base_url"], URL);
    let ovn = r["ovn"].as_str().expect("an ovn").to_owned();
    assert!(!ovn.is_empty() && ovn != NO_OVN);
    // The bounds of all the extents.
    same_time(&r["time_start"], &extents[0]["time_start"]);
    same_time(&r["time_end"], &extents[1]["time_end"]);

    // Another USS reads it without its OVN; the manager with it.
    let a = get(&dss, "uss2", &[CP], &c);
    let seen = &expect(&a, 200)["constraint_reference"];
    assert_eq!(seen["id"], c.as_str());
    assert_eq!(seen["manager"], "uss1");
    assert_eq!(seen["ovn"], NO_OVN);
    assert_eq!(seen["version"], 1);
    let a = get(&dss, "uss1", &[CM], &c);
    assert_eq!(expect(&a, 200)["constraint_reference"]["ovn"], ovn.as_str());

    expect(&get(&dss, "uss1", &[CM], &id()), 404);
    expect(&get(&dss, "uss1", &[CM], "not-a-uuid"), 400);
    // An operational intent is not a constraint.
    let (oir, _) = create_oir(
        &dss,
        "uss3",
        &[square(36.0, -118.0, 0.01, (0.0, 120.0), (0, 60))],
        &[],
    );
    expect(&get(&dss, "uss3", &[CM], &oir), 404);

    // Creating it again, by its manager or anyone else.
    expect(&put(&dss, "uss1", &[CM], &c, &params(&[here()])), 409);
    let a = put(&dss, "uss2", &[CM], &c, &params(&[here()]));
    assert!(
        a.status == 409 || a.status == 403,
        "another USS cannot create over it: {}",
        a.text
    );
    let a = get(&dss, "uss1", &[CM], &c);
    assert_eq!(expect(&a, 200)["constraint_reference"]["ovn"], ovn.as_str());
}

fn constraint_update(backend: Backend) {
    let dss = Dss::start(backend);
    let (c, ovn1) = create(&dss, "uss1", &[here()]);
    let later = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 120));
    let a = put(
        &dss,
        "uss1",
        &[CM],
        &format!("{c}/{ovn1}"),
        &params(std::slice::from_ref(&later)),
    );
    let r = &expect(&a, 200)["constraint_reference"];
    assert_eq!(r["version"], 2);
    let ovn2 = r["ovn"].as_str().expect("an ovn").to_owned();
    assert_ne!(ovn2, ovn1, "an update changes the OVN");
    same_time(&r["time_end"], &later["time_end"]);

    // The old OVN is stale.
    let a = put(
        &dss,
        "uss1",
        &[CM],
        &format!("{c}/{ovn1}"),
        &params(&[here()]),
    );
    expect(&a, 409);
    // Updating one that does not exist (reference DSS: 409 "old version does not exist").
    let a = put(
        &dss,
        "uss1",
        &[CM],
        &format!("{}/{ovn2}", id()),
        &params(&[here()]),
    );
    expect(&a, 409);
    let a = put(
        &dss,
        "uss1",
        &[CM],
        &format!("{}/some-ovn-of-nothing", id()),
        &params(&[here()]),
    );
    expect(&a, 409);
    // Another USS, even with the right OVN.
    let a = put(
        &dss,
        "uss2",
        &[CM],
        &format!("{c}/{ovn2}"),
        &params(&[here()]),
    );
    expect(&a, 403);

    let a = get(&dss, "uss1", &[CM], &c);
    let r = &expect(&a, 200)["constraint_reference"];
    assert_eq!(r["ovn"], ovn2.as_str());
    assert_eq!(r["version"], 2);
    assert_eq!(r["manager"], "uss1");
}

fn constraint_query(backend: Backend) {
    let dss = Dss::start(backend);
    let (c, _) = create(
        &dss,
        "uss1",
        &[square(34.0, -118.0, 0.01, (0.0, 120.0), (10, 60))],
    );
    let query = |area: Value| {
        dss.post(
            "constraint_references/query",
            &token("uss2", &[CP]),
            &json!({"area_of_interest": area}),
        )
    };
    let found = query(square(34.005, -117.995, 0.01, (50.0, 60.0), (20, 30)));
    assert_eq!(ids(&found), vec![c.clone()]);
    assert_eq!(
        expect(&found, 200)["constraint_references"][0]["ovn"],
        NO_OVN
    );
    // Without time bounds: any time.
    let mut timeless = square(34.005, -117.995, 0.01, (50.0, 60.0), (20, 30));
    let o = timeless.as_object_mut().expect("an object");
    o.remove("time_start");
    o.remove("time_end");
    assert_eq!(ids(&query(timeless)), vec![c]);
    // Elsewhere, or later.
    assert!(ids(&query(square(35.0, -118.0, 0.01, (0.0, 120.0), (10, 60)))).is_empty());
    assert!(ids(&query(square(34.0, -118.0, 0.01, (0.0, 120.0), (70, 90)))).is_empty());

    let a = dss.post(
        "constraint_references/query",
        &token("uss2", &[CP]),
        &json!({}),
    );
    expect(&a, 400);
    expect(
        &query(square(30.0, -100.0, 1.0, (0.0, 120.0), (0, 60))),
        413,
    );
    // Querying needs a constraint scope.
    let a = dss.post(
        "constraint_references/query",
        &token("uss2", &[SC]),
        &json!({"area_of_interest": here()}),
    );
    expect(&a, 403);
}

fn constraint_delete(backend: Backend) {
    let dss = Dss::start(backend);
    let (c, ovn1) = create(&dss, "uss1", &[here()]);
    let a = put(
        &dss,
        "uss1",
        &[CM],
        &format!("{c}/{ovn1}"),
        &params(&[here()]),
    );
    let ovn2 = expect(&a, 200)["constraint_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();
    let delete = |uss: &str, path: String| {
        dss.delete(&format!("constraint_references/{path}"), &token(uss, &[CM]))
    };

    expect(&delete("uss1", format!("{}/{ovn2}", id())), 404);
    expect(&delete("uss2", format!("{c}/{ovn2}")), 403);
    expect(&delete("uss1", format!("{c}/{ovn1}")), 409);
    let a = dss.delete(
        &format!("constraint_references/{c}/{ovn2}"),
        &token("uss1", &[CP]),
    );
    expect(&a, 403);

    let a = delete("uss1", format!("{c}/{ovn2}"));
    let body = expect(&a, 200);
    assert_eq!(body["constraint_reference"]["id"], c.as_str());
    assert!(body["subscribers"].is_array());
    expect(&get(&dss, "uss1", &[CM], &c), 404);
    expect(&delete("uss1", format!("{c}/{ovn2}")), 404);
}

fn constraint_validation(backend: Backend) {
    let dss = Dss::start(backend);
    let create = |body: &Value| put(&dss, "uss1", &[CM], &id(), body);

    let mut no_url = params(&[here()]);
    no_url
        .as_object_mut()
        .expect("an object")
        .remove("uss_base_url");
    expect(&create(&no_url), 400);
    expect(&create(&json!({"uss_base_url": URL})), 400);
    expect(&create(&params(&[])), 400);
    let past = square(34.0, -118.0, 0.01, (0.0, 120.0), (-60, -10));
    expect(&create(&params(&[past])), 400);
    let mut bad_lng = here();
    bad_lng["volume"]["outline_polygon"]["vertices"][1]["lng"] = json!(181.0);
    expect(&create(&params(&[bad_lng])), 400);

    // Altitudes may be omitted: every altitude.
    let mut no_altitudes = here();
    let v = no_altitudes["volume"].as_object_mut().expect("a volume");
    v.remove("altitude_lower");
    v.remove("altitude_upper");
    let c = id();
    let a = put(&dss, "uss1", &[CM], &c, &params(&[no_altitudes]));
    expect(&a, 201);
    // Found at any altitude.
    let a = dss.post(
        "constraint_references/query",
        &token("uss2", &[CP]),
        &json!({"area_of_interest": square(34.0, -118.0, 0.01, (5000.0, 6000.0), (0, 60))}),
    );
    assert_eq!(ids(&a), vec![c]);
}

fn constraint_area_too_large(backend: Backend) {
    let dss = Dss::start(backend);
    // About 10 000 km², above the 2500 km² limit.
    let huge = square(30.0, -100.0, 1.0, (0.0, 120.0), (0, 60));
    // The standard lists 413 ("The area of the constraint is too large") for both constraint
    // PUTs.
    expect(
        &put(
            &dss,
            "uss1",
            &[CM],
            &id(),
            &params(std::slice::from_ref(&huge)),
        ),
        413,
    );
    let (c, ovn) = create(&dss, "uss1", &[here()]);
    expect(
        &put(&dss, "uss1", &[CM], &format!("{c}/{ovn}"), &params(&[huge])),
        413,
    );
}

fn constraint_is_a_native_zone(backend: Backend) {
    let dss = Dss::start(backend);
    let (c, ovn) = create(&dss, "uss1", &[here()]);
    let a = call(
        "GET",
        &format!("{}/v1/zones/{c}", dss.base),
        Some(&token("reader", &["deconflict.read"])),
        None,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["id"], c.as_str());
    assert_eq!(a.body["entity"], "zone");
    assert_eq!(a.body["owner"], "uss1");
    assert_eq!(a.body["ovn"], ovn.as_str());
    assert_eq!(a.body["version"], 1);
}

on_both_stores!(
    constraint_scopes,
    constraint_create_and_read,
    constraint_update,
    constraint_query,
    constraint_delete,
    constraint_validation,
    constraint_area_too_large,
    constraint_is_a_native_zone,
);
