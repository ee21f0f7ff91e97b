//! Operational intent references: the life cycle, every documented error, the key rule with
//! several operational intents and constraints, implicit subscriptions and both APIs.

use super::*;

fn oir_path(id: &str) -> String {
    format!("operational_intent_references/{id}")
}

fn reference(body: &Value) -> &Value {
    &body["operational_intent_reference"]
}

/// Every id in a list of references.
fn ids(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn close(a: &Value, b: &Value) -> bool {
    let t = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["value"].as_str().unwrap_or_default())
            .map(|t| t.timestamp_millis())
            .unwrap_or(i64::MIN)
    };
    (t(a) - t(b)).abs() <= 1000 && a["format"] == "RFC3339"
}

fn oir_life_cycle(backend: Backend) {
    let dss = Dss::start(backend);
    let (uss1, uss2) = (token("uss1", &[SC]), token("uss2", &[SC]));
    let v = here();
    let oir = id();

    // Create, Accepted, without a subscription.
    let a = dss.put(
        &oir_path(&oir),
        &uss1,
        &oir_params(std::slice::from_ref(&v), "Accepted", &[]),
    );
    let r = reference(expect(&a, 201)).clone();
    assert_eq!(r["id"], oir.as_str());
    assert_eq!(r["manager"], "uss1", "the manager is the token's sub");
    assert_eq!(r["version"], 1);
    assert_eq!(r["state"], "Accepted");
    assert_eq!(r["uss_availability"], "Unknown");
    assert_eq!(r["uss_base_url"], "https://uss.example.com/utm");
    assert_eq!(
        r["subscription_id"], NULL_SUB,
        "no subscription: the null id"
    );
    assert!(close(&r["time_start"], &v["time_start"]) && close(&r["time_end"], &v["time_end"]));
    let ovn1 = r["ovn"].as_str().expect("an ovn").to_owned();
    assert!((16..=128).contains(&ovn1.len()), "EntityOVN length: {ovn1}");
    assert!(a.body["subscribers"].as_array().is_some_and(Vec::is_empty));

    // Reads: the manager sees the OVN, others do not.
    let mine = dss.get(&oir_path(&oir), &uss1);
    assert_eq!(reference(expect(&mine, 200))["ovn"], ovn1.as_str());
    let theirs = dss.get(&oir_path(&oir), &uss2);
    assert_eq!(reference(expect(&theirs, 200))["ovn"], NO_OVN);
    assert_eq!(reference(&theirs.body)["version"], 1);

    // Query: found in its area and window, not elsewhere in space or time.
    let found = dss.post(
        "operational_intent_references/query",
        &uss2,
        &json!({"area_of_interest": square(34.005, -117.995, 0.001, (50.0, 60.0), (10, 20))}),
    );
    assert_eq!(
        ids(&expect(&found, 200)["operational_intent_references"]),
        vec![oir.clone()]
    );
    let elsewhere = dss.post(
        "operational_intent_references/query",
        &uss2,
        &json!({"area_of_interest": square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))}),
    );
    assert!(ids(&expect(&elsewhere, 200)["operational_intent_references"]).is_empty());
    let later = dss.post(
        "operational_intent_references/query",
        &uss2,
        &json!({"area_of_interest": square(34.0, -118.0, 0.01, (0.0, 120.0), (90, 120))}),
    );
    assert!(ids(&expect(&later, 200)["operational_intent_references"]).is_empty());
    let no_times = dss.post(
        "operational_intent_references/query",
        &uss2,
        &json!({"area_of_interest": {"volume": {"outline_circle": {
            "center": {"lat": 34.005, "lng": -117.995}, "radius": {"value": 100.0, "units": "M"}}}}}),
    );
    assert_eq!(
        ids(&expect(&no_times, 200)["operational_intent_references"]),
        vec![oir.clone()],
        "missing times and altitudes are unbounded"
    );

    // Update to Activated with an implicit subscription: version 2, a new OVN.
    let mut p = oir_params(std::slice::from_ref(&v), "Activated", &[]);
    p["new_subscription"] = json!({"uss_base_url": "https://uss.example.com/utm"});
    let a = dss.put(&format!("{}/{ovn1}", oir_path(&oir)), &uss1, &p);
    let r = reference(expect(&a, 200)).clone();
    assert_eq!(r["version"], 2);
    assert_eq!(r["state"], "Activated");
    let ovn2 = r["ovn"].as_str().expect("an ovn").to_owned();
    assert_ne!(ovn1, ovn2, "the OVN changes on every write");
    let again = dss.get(&oir_path(&oir), &uss1);
    assert_eq!(
        reference(expect(&again, 200))["ovn"],
        ovn2.as_str(),
        "reads keep it"
    );

    // Delete: stale OVN 409, then 200 with the reference, then 404.
    expect(
        &dss.delete(&format!("{}/{ovn1}", oir_path(&oir)), &uss1),
        409,
    );
    let gone = dss.delete(&format!("{}/{ovn2}", oir_path(&oir)), &uss1);
    assert_eq!(reference(expect(&gone, 200))["id"], oir.as_str());
    expect(&dss.get(&oir_path(&oir), &uss1), 404);
    expect(
        &dss.delete(&format!("{}/{ovn2}", oir_path(&oir)), &uss1),
        404,
    );
}

fn oir_validation_errors(backend: Backend) {
    let dss = Dss::start(backend);
    let uss1 = token("uss1", &[SC]);
    let good = oir_params(&[here()], "Accepted", &[]);
    let put = |id: &str, body: &Value| dss.put(&oir_path(id), &uss1, body);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    // Ids.
    expect(&put("not-a-uuid", &good), 400);
    expect(&put("2f8343be-6482-1d1b-a474-16847e01af1e", &good), 400); // version 1
    expect(&dss.get(&oir_path("nope"), &uss1), 400);
    // Missing fields and malformed JSON.
    for field in ["extents", "state", "uss_base_url"] {
        let b = with(&|b| {
            b.as_object_mut().map(|o| o.remove(field));
        });
        expect(&put(&id(), &b), 400);
    }
    let raw = common::call_raw("PUT", &dss.url(&oir_path(&id())), Some(&uss1), "{not json");
    expect(&raw, 400);
    expect(&put(&id(), &with(&|b| b["extents"] = json!([]))), 400);
    // Times: end before start, end in the past, missing, bad format.
    expect(
        &put(&id(), &with(&|b| b["extents"][0]["time_end"] = time(-1))),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| {
                b["extents"] = json!([square(34.0, -118.0, 0.01, (0.0, 120.0), (-60, -10))])
            }),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["time_start"] = Value::Null),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["time_start"]["format"] = json!("ISO8601")),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["time_start"]["value"] = json!("yesterday")),
        ),
        400,
    );
    // Coordinates.
    expect(
        &put(
            &id(),
            &with(&|b| {
                b["extents"][0]["volume"]["outline_polygon"]["vertices"][0]["lat"] = json!(91.0)
            }),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| {
                b["extents"][0]["volume"]["outline_polygon"]["vertices"][1]["lng"] = json!(181.0)
            }),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| {
                b["extents"][0]["volume"]["outline_polygon"]["vertices"] =
                    json!([{"lat": 34.0, "lng": -118.0}, {"lat": 34.1, "lng": -118.0}])
            }),
        ),
        400,
    );
    // Altitude reference and units; missing altitude; both outlines; no outline.
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["volume"]["altitude_lower"]["reference"] = json!("SFC")),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["volume"]["altitude_upper"]["units"] = json!("FT")),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["volume"]["altitude_upper"] = Value::Null),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| {
                b["extents"][0]["volume"]["outline_circle"] =
                    circle(34.0, -118.0, 100.0, (0.0, 1.0), (0, 1))["volume"]["outline_circle"]
                        .clone()
            }),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["volume"]["outline_polygon"] = Value::Null),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"][0]["volume"]["outline_polygon"] = Value::Null),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["extents"] = json!([circle(34.0, -118.0, 0.0, (0.0, 120.0), (0, 60))])),
        ),
        400,
    );
    // Base URL and state.
    expect(
        &put(
            &id(),
            &with(&|b| b["uss_base_url"] = json!("ftp://uss.example.com")),
        ),
        400,
    );
    expect(&put(&id(), &with(&|b| b["uss_base_url"] = json!(""))), 400);
    expect(&put(&id(), &with(&|b| b["state"] = json!("Flying"))), 400);
    // Created only Accepted; off-nominal states need the conformance monitoring scope.
    expect(
        &put(&id(), &with(&|b| b["state"] = json!("Activated"))),
        400,
    );
    let mut contingent = with(&|b| b["state"] = json!("Contingent"));
    contingent["new_subscription"] = json!({"uss_base_url": "https://uss.example.com/utm"});
    expect(&put(&id(), &contingent), 400);
    let (existing, ovn) = create_oir(
        &dss,
        "uss1",
        &[square(10.0, 10.0, 0.01, (0.0, 120.0), (0, 60))],
        &[],
    );
    let mut to_contingent = contingent.clone();
    to_contingent["extents"] = json!([square(10.0, 10.0, 0.01, (0.0, 120.0), (0, 60))]);
    let path = format!("{}/{ovn}", oir_path(&existing));
    expect(&dss.put(&path, &uss1, &to_contingent), 403);
    // With the scope it may; without a subscription it may not.
    let cmsa = token("uss1", &[SC, CMSA]);
    let mut bare = to_contingent.clone();
    bare.as_object_mut().map(|o| o.remove("new_subscription"));
    expect(&dss.put(&path, &cmsa, &bare), 400);
    expect(&dss.put(&path, &cmsa, &to_contingent), 200);
    // Subscriptions: unknown, both given, malformed.
    expect(
        &put(&id(), &with(&|b| b["subscription_id"] = json!(id()))),
        400,
    );
    expect(
        &put(&id(), &with(&|b| b["subscription_id"] = json!("nope"))),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| {
                b["subscription_id"] = json!(id());
                b["new_subscription"] = json!({"uss_base_url": "https://uss.example.com/utm"});
            }),
        ),
        400,
    );
    expect(
        &put(
            &id(),
            &with(&|b| b["new_subscription"] = json!({"uss_base_url": "gopher://x"})),
        ),
        400,
    );
    // Update of an entity that does not exist (the reference DSS: 400).
    expect(
        &dss.put(
            &format!("{}/{}", oir_path(&id()), "0123456789abcdef0123"),
            &uss1,
            &good,
        ),
        400,
    );
    // Too large: 413, as the standard lists for this endpoint and for queries.
    let big = with(&|b| b["extents"] = json!([square(30.0, 30.0, 1.0, (0.0, 120.0), (0, 60))]));
    expect(&put(&id(), &big), 413);
    let big_query = dss.post(
        "operational_intent_references/query",
        &uss1,
        &json!({"area_of_interest": square(30.0, 30.0, 1.0, (0.0, 120.0), (0, 60))}),
    );
    expect(&big_query, 413);
    expect(
        &dss.post("operational_intent_references/query", &uss1, &json!({})),
        400,
    );
    // Nothing was written by any of these.
    let near = dss.post(
        "operational_intent_references/query",
        &uss1,
        &json!({"area_of_interest": square(33.99, -118.01, 0.05, (0.0, 120.0), (0, 60))}),
    );
    assert!(ids(&expect(&near, 200)["operational_intent_references"]).is_empty());
}

fn ovn_and_manager_rules(backend: Backend) {
    let dss = Dss::start(backend);
    let (uss1, uss2) = (token("uss1", &[SC]), token("uss2", &[SC]));
    let (oir, ovn) = create_oir(&dss, "uss1", &[here()], &[]);
    let body = oir_params(&[here()], "Accepted", &[]);
    // Creating on a taken id: 403 for another USS (the manager check comes first), 409 for the
    // manager.
    expect(&dss.put(&oir_path(&oir), &uss2, &body), 403);
    expect(&dss.put(&oir_path(&oir), &uss1, &body), 409);
    // Update by another USS, with the right OVN: 403; by the manager with a stale one: 409.
    expect(
        &dss.put(&format!("{}/{ovn}", oir_path(&oir)), &uss2, &body),
        403,
    );
    expect(
        &dss.put(
            &format!("{}/{}", oir_path(&oir), "ffffffffffffffffffffffff"),
            &uss1,
            &body,
        ),
        409,
    );
    // Delete by another USS: 403. Nothing changed: still version 1 with the same OVN.
    expect(
        &dss.delete(&format!("{}/{ovn}", oir_path(&oir)), &uss2),
        403,
    );
    let r = dss.get(&oir_path(&oir), &uss1);
    assert_eq!(reference(expect(&r, 200))["ovn"], ovn.as_str());
    assert_eq!(reference(&r.body)["version"], 1);
}

fn key_rule_with_several_operational_intents_and_constraints(backend: Backend) {
    let dss = Dss::start(backend);
    let uss3 = token("uss3", &[SC]);
    // Two operational intents of uss1 and a constraint of uss2 over the same place and time;
    // one operational intent of uss1 at the same place later (no time overlap), and one of
    // uss4 far away.
    let (a, ovn_a) = create_oir(
        &dss,
        "uss1",
        &[square(34.0, -118.0, 0.02, (0.0, 100.0), (0, 60))],
        &[],
    );
    let (b, ovn_b) = create_oir(
        &dss,
        "uss1",
        &[square(34.01, -118.01, 0.02, (50.0, 150.0), (10, 70))],
        &[&ovn_a],
    );
    let constraint = id();
    let c = dss.put(
        &format!("constraint_references/{constraint}"),
        &token("uss2", &[CM]),
        &json!({"extents": [square(34.0, -118.0, 0.05, (0.0, 1000.0), (0, 120))],
                "uss_base_url": "https://uss2.example.com/utm"}),
    );
    let ovn_c = expect(&c, 201)["constraint_reference"]["ovn"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_later, _) = create_oir(
        &dss,
        "uss1",
        &[square(34.0, -118.0, 0.02, (0.0, 100.0), (180, 240))],
        &[],
    );
    let (_far, _) = create_oir(
        &dss,
        "uss4",
        &[square(40.0, -100.0, 0.02, (0.0, 100.0), (0, 60))],
        &[],
    );

    let mine = [square(34.005, -118.005, 0.02, (20.0, 80.0), (5, 50))];
    let attempt = |key: &[&str], constraints: bool| {
        let mut p = oir_params(&mine, "Accepted", key);
        if constraints {
            p["new_subscription"] = json!({"uss_base_url": "https://uss3.example.com/utm",
                                          "notify_for_constraints": true});
        }
        dss.put(&oir_path(&id()), &uss3, &p)
    };
    // No key: 409 naming both intersecting operational intents, not the later or far one; the
    // constraint is not required of a USS that does not process constraints.
    let refused = attempt(&[], false);
    let body = expect(&refused, 409);
    assert_eq!(
        ids(&body["missing_operational_intents"]),
        sorted(vec![a.clone(), b.clone()])
    );
    assert!(ids(&body["missing_constraints"]).is_empty());
    for r in body["missing_operational_intents"].as_array().unwrap() {
        assert_eq!(r["ovn"], NO_OVN, "another USS's OVN comes from its manager");
        assert_eq!(r["manager"], "uss1");
    }
    // One OVN only: the other is still missing.
    let half = attempt(&[&ovn_a], false);
    assert_eq!(
        ids(&expect(&half, 409)["missing_operational_intents"]),
        vec![b.clone()]
    );
    // A stale OVN does not count.
    let stale = attempt(&["0000000000000000abcd", &ovn_b], false);
    assert_eq!(
        ids(&expect(&stale, 409)["missing_operational_intents"]),
        vec![a.clone()]
    );
    // With constraint processing the constraint is required too.
    let with_constraints = attempt(&[&ovn_a, &ovn_b], true);
    let body = expect(&with_constraints, 409);
    assert!(ids(&body["missing_operational_intents"]).is_empty());
    assert_eq!(ids(&body["missing_constraints"]), vec![constraint.clone()]);
    assert_eq!(body["missing_constraints"][0]["ovn"], NO_OVN);
    // Nothing was written by the refusals: only the five entities exist.
    let q = dss.post(
        "operational_intent_references/query",
        &uss3,
        &json!({"area_of_interest": square(34.0, -118.0, 0.05, (0.0, 1000.0), (0, 300))}),
    );
    assert_eq!(
        ids(&expect(&q, 200)["operational_intent_references"]).len(),
        3
    );
    // The full key: 201, both ways.
    let ok = attempt(&[&ovn_a, &ovn_b], false);
    let mine_id = reference(expect(&ok, 201))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ovn_mine = reference(&ok.body)["ovn"].as_str().unwrap().to_owned();
    // The caller's own intersecting intent is required too (as the reference DSS), and shown
    // to it with its OVN.
    let own_missing = attempt(&[&ovn_a, &ovn_b, &ovn_c], true);
    let body = expect(&own_missing, 409);
    assert_eq!(
        ids(&body["missing_operational_intents"]),
        vec![mine_id.clone()]
    );
    assert_eq!(
        body["missing_operational_intents"][0]["ovn"],
        ovn_mine.as_str()
    );
    let ok2 = attempt(&[&ovn_a, &ovn_b, &ovn_c, &ovn_mine], true);
    expect(&ok2, 201);
    // Now uss1 cannot update `a` without naming uss3's new ones (its own `b` too: the reference
    // DSS requires every intersecting operational intent, the caller's own included).
    let upd = dss.put(
        &format!("{}/{ovn_a}", oir_path(&a)),
        &token("uss1", &[SC]),
        &oir_params(
            &[square(34.0, -118.0, 0.02, (0.0, 100.0), (0, 60))],
            "Accepted",
            &[],
        ),
    );
    let missing = ids(&expect(&upd, 409)["missing_operational_intents"]);
    assert!(missing.contains(&mine_id) && missing.contains(&b) && !missing.contains(&a));
    // The caller's own entries keep their real OVN in the 409.
    let own = expect(&upd, 409)["missing_operational_intents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == b.as_str())
        .cloned()
        .unwrap();
    assert_eq!(own["ovn"], ovn_b.as_str());
    // Off-nominal operational intents need no key, and must be named by others (as the
    // reference DSS).
    let cmsa = token("uss3", &[SC, CMSA]);
    let mut p = oir_params(&mine, "Nonconforming", &[]);
    p["subscription_id"] = json!(Value::Null);
    p["new_subscription"] = json!({"uss_base_url": "https://uss3.example.com/utm"});
    let current = dss.get(&oir_path(&mine_id), &cmsa);
    let ovn_mine = reference(expect(&current, 200))["ovn"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(
        &dss.put(&format!("{}/{ovn_mine}", oir_path(&mine_id)), &cmsa, &p),
        200,
    );
    let by_uss5 = dss.put(
        &oir_path(&id()),
        &token("uss5", &[SC]),
        &oir_params(&mine, "Accepted", &[&ovn_a, &ovn_b]),
    );
    let missing = ids(&expect(&by_uss5, 409)["missing_operational_intents"]);
    assert!(
        missing.contains(&mine_id),
        "a Nonconforming intent must be named: {missing:?}"
    );
}

fn implicit_subscription_life_cycle(backend: Backend) {
    let dss = Dss::start(backend);
    let uss1 = token("uss1", &[SC]);
    let v = here();
    let mut p = oir_params(std::slice::from_ref(&v), "Accepted", &[]);
    p["new_subscription"] = json!({"uss_base_url": "https://uss1.example.com/utm"});
    let oir = id();
    let created = dss.put(&oir_path(&oir), &uss1, &p);
    let r = reference(expect(&created, 201)).clone();
    let sub = r["subscription_id"].as_str().unwrap().to_owned();
    assert_ne!(sub, NULL_SUB);
    // The implicit subscription: notifies of operational intents, covers the intent's window,
    // knows its dependent, and is among the subscribers of its own intent's creation.
    let s = dss.get(&format!("subscriptions/{sub}"), &uss1);
    let s = expect(&s, 200)["subscription"].clone();
    assert_eq!(s["implicit_subscription"], true);
    assert_eq!(s["notify_for_operational_intents"], true);
    assert_eq!(s["notify_for_constraints"], false);
    assert_eq!(s["uss_base_url"], "https://uss1.example.com/utm");
    assert_eq!(s["dependent_operational_intents"], json!([oir]));
    assert!(close(&s["time_start"], &v["time_start"]) && close(&s["time_end"], &v["time_end"]));
    let groups = created.body["subscribers"].as_array().unwrap().clone();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["uss_base_url"], "https://uss1.example.com/utm");
    assert_eq!(
        groups[0]["subscriptions"][0]["subscription_id"],
        sub.as_str()
    );
    assert_eq!(groups[0]["subscriptions"][0]["notification_index"], 1);

    // Another USS's intent in the area: the implicit subscription is among its subscribers, with
    // the next notification index.
    let other = dss.put(
        &oir_path(&id()),
        &token("uss2", &[SC]),
        &oir_params(
            std::slice::from_ref(&v),
            "Accepted",
            &[r["ovn"].as_str().unwrap()],
        ),
    );
    let groups = expect(&other, 201)["subscribers"].clone();
    let found: Vec<(String, u64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["subscriptions"].as_array().unwrap().clone())
        .map(|s| {
            (
                s["subscription_id"].as_str().unwrap().to_owned(),
                s["notification_index"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, vec![(sub.clone(), 2)]);
    let other_ovn = reference(&other.body)["ovn"].as_str().unwrap().to_owned();
    let other_id = reference(&other.body)["id"].as_str().unwrap().to_owned();

    // Growing the intent (same subscription_id) widens its implicit subscription.
    let ovn = r["ovn"].as_str().unwrap().to_owned();
    let longer = square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 90));
    let mut grow = oir_params(std::slice::from_ref(&longer), "Accepted", &[&other_ovn]);
    grow["subscription_id"] = json!(sub);
    let grown = dss.put(&format!("{}/{ovn}", oir_path(&oir)), &uss1, &grow);
    let r = reference(expect(&grown, 200)).clone();
    assert_eq!(
        r["subscription_id"],
        sub.as_str(),
        "the same subscription, widened"
    );
    let s = dss.get(&format!("subscriptions/{sub}"), &uss1);
    assert!(close(
        &expect(&s, 200)["subscription"]["time_end"],
        &longer["time_end"]
    ));

    // Moving to an explicit subscription removes the implicit one.
    let explicit = id();
    let e = dss.put(
        &format!("subscriptions/{explicit}"),
        &uss1,
        &json!({"extents": square(33.9, -118.1, 0.3, (0.0, 500.0), (-1, 200)),
                "uss_base_url": "https://uss1.example.com/utm",
                "notify_for_operational_intents": true}),
    );
    let explicit_version = expect(&e, 200)["subscription"]["version"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(e.body["subscription"]["implicit_subscription"], false);
    let mut move_p = oir_params(std::slice::from_ref(&longer), "Accepted", &[&other_ovn]);
    move_p["subscription_id"] = json!(explicit);
    let ovn = r["ovn"].as_str().unwrap().to_owned();
    let moved = dss.put(&format!("{}/{ovn}", oir_path(&oir)), &uss1, &move_p);
    let r = reference(expect(&moved, 200)).clone();
    assert_eq!(r["subscription_id"], explicit.as_str());
    expect(&dss.get(&format!("subscriptions/{sub}"), &uss1), 404);
    // The explicit subscription now has a dependent: it may not be deleted, nor shrunk away
    // from its intent.
    let s = dss.get(&format!("subscriptions/{explicit}"), &uss1);
    assert_eq!(
        expect(&s, 200)["subscription"]["dependent_operational_intents"],
        json!([oir])
    );
    expect(
        &dss.delete(
            &format!("subscriptions/{explicit}/{explicit_version}"),
            &uss1,
        ),
        400,
    );
    let shrink = dss.put(
        &format!("subscriptions/{explicit}/{explicit_version}"),
        &uss1,
        &json!({"extents": square(35.0, -118.1, 0.3, (0.0, 500.0), (0, 200)),
                "uss_base_url": "https://uss1.example.com/utm",
                "notify_for_operational_intents": true}),
    );
    expect(&shrink, 400);
    // An explicit subscription that does not cover the intent is refused.
    let small = id();
    expect(
        &dss.put(
            &format!("subscriptions/{small}"),
            &uss1,
            &json!({"extents": square(34.0, -118.0, 0.001, (0.0, 500.0), (0, 200)),
                    "uss_base_url": "https://uss1.example.com/utm",
                    "notify_for_operational_intents": true}),
        ),
        200,
    );
    let mut small_p = oir_params(std::slice::from_ref(&longer), "Accepted", &[&other_ovn]);
    small_p["subscription_id"] = json!(small);
    let ovn = r["ovn"].as_str().unwrap().to_owned();
    expect(
        &dss.put(&format!("{}/{ovn}", oir_path(&oir)), &uss1, &small_p),
        400,
    );
    // Another USS's subscription may not be used.
    let mut theirs = oir_params(std::slice::from_ref(&longer), "Accepted", &[&ovn]);
    theirs["subscription_id"] = json!(explicit);
    let uss2 = token("uss2", &[SC]);
    expect(
        &dss.put(
            &format!("{}/{other_ovn}", oir_path(&other_id)),
            &uss2,
            &theirs,
        ),
        403,
    );

    // A new implicit subscription on update; then deleting the intent removes it.
    let mut renew = oir_params(std::slice::from_ref(&longer), "Activated", &[&other_ovn]);
    renew["new_subscription"] = json!({"uss_base_url": "https://uss1.example.com/utm"});
    let renewed = dss.put(&format!("{}/{ovn}", oir_path(&oir)), &uss1, &renew);
    let r = reference(expect(&renewed, 200)).clone();
    let sub2 = r["subscription_id"].as_str().unwrap().to_owned();
    assert!(sub2 != explicit && sub2 != sub && sub2 != NULL_SUB);
    let s = dss.get(&format!("subscriptions/{explicit}"), &uss1);
    assert_eq!(
        expect(&s, 200)["subscription"]["dependent_operational_intents"],
        json!([])
    );
    let ovn = r["ovn"].as_str().unwrap().to_owned();
    expect(
        &dss.delete(&format!("{}/{ovn}", oir_path(&oir)), &uss1),
        200,
    );
    expect(&dss.get(&format!("subscriptions/{sub2}"), &uss1), 404);
    // The explicit one stays, and may now be deleted.
    let s = dss.get(&format!("subscriptions/{explicit}"), &uss1);
    let v = expect(&s, 200)["subscription"]["version"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(
        &dss.delete(&format!("subscriptions/{explicit}/{v}"), &uss1),
        200,
    );
}

fn both_apis_see_the_same_airspace(backend: Backend) {
    let dss = Dss::start_with(backend, &["--public-url", "https://dss.example.com/"]);
    let native = token(
        "northern-air-force",
        &["deconflict.read", "deconflict.write"],
    );
    let uss1 = token("uss1", &[SC, "deconflict.read"]);
    // A native operation...
    let op = id();
    let t = |m: i64| (Utc::now() + chrono::Duration::minutes(m)).to_rfc3339();
    let volume = json!({
        "footprint": {"type": "polygon", "vertices": [[-118.0, 34.0], [-117.99, 34.0], [-117.99, 34.01], [-118.0, 34.01]]},
        "altitude_lower_m": 0.0, "altitude_upper_m": 120.0, "time_start": t(0), "time_end": t(60),
    });
    let filed = call(
        "PUT",
        &format!("{}/v1/operations/{op}", dss.base),
        Some(&native),
        Some(&json!({"state": "Accepted", "volumes": [volume]})),
    );
    assert_eq!(filed.status, 201, "{}", filed.text);
    // ...is an operational intent reference to the DSS, managed by its party, its details at
    // this server's USS API (`<public_url>/uss/v1/...`).
    let seen = dss.get(&oir_path(&op), &uss1);
    let r = reference(expect(&seen, 200)).clone();
    assert_eq!(r["manager"], "northern-air-force");
    assert_eq!(r["ovn"], NO_OVN);
    assert_eq!(r["uss_base_url"], "https://dss.example.com", "{r}");
    // A DSS intent over it must name it...
    let refused = dss.put(
        &oir_path(&id()),
        &uss1,
        &oir_params(&[here()], "Accepted", &[]),
    );
    assert_eq!(
        ids(&expect(&refused, 409)["missing_operational_intents"]),
        vec![op.clone()]
    );
    let native_ovn = filed.body["operation"]["ovn"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", filed.text))
        .to_owned();
    let ok = dss.put(
        &oir_path(&id()),
        &uss1,
        &oir_params(&[here()], "Accepted", &[&native_ovn]),
    );
    let dss_oir = reference(expect(&ok, 201))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // ...and the native API sees the DSS intent as an operation of uss1, which a native write
    // must name in its key.
    let got = call(
        "GET",
        &format!("{}/v1/operations/{dss_oir}", dss.base),
        Some(&native),
        None,
    );
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["owner"], "uss1");
    let op2 = id();
    let refused = call(
        "PUT",
        &format!("{}/v1/operations/{op2}", dss.base),
        Some(&native),
        Some(&json!({"state": "Accepted", "volumes": [volume], "key": [native_ovn]})),
    );
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains(&dss_oir), "{}", refused.text);
}

/// A protected site notified conflict-only through the native API: a USS never sees it in a
/// query or by id, and an intent over it is refused naming its category, notifier and reference,
/// without its geometry.
fn conflict_only_sites_are_hidden_from_a_uss(backend: Backend) {
    let dss = Dss::start(backend);
    let relief = token("relief-agency", &["deconflict.read", "deconflict.write"]);
    let site = id();
    let notified = call(
        "PUT",
        &format!("{}/v1/protected-sites/{site}", dss.base),
        Some(&relief),
        Some(&json!({
            "name": "Clinic", "category": "clinic", "disclosure": "conflict-only",
            "geometry": {"type": "Polygon", "coordinates": [[
                [-117.996_123, 34.003_456], [-117.994_321, 34.003_456],
                [-117.994_321, 34.005_678], [-117.996_123, 34.003_456]]]},
        })),
    );
    assert_eq!(notified.status, 200, "{}", notified.text);
    let uss = token("uss1", &[SC, CP]);
    let found = dss.post(
        "constraint_references/query",
        &uss,
        &json!({"area_of_interest": here()}),
    );
    assert!(ids(&expect(&found, 200)["constraint_references"]).is_empty());
    expect(
        &dss.get(&format!("constraint_references/{site}"), &uss),
        404,
    );
    let refused = dss.put(
        &oir_path(&id()),
        &uss,
        &oir_params(&[here()], "Accepted", &[]),
    );
    let body = expect(&refused, 409);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("Protected site conflict")
            && message.contains("category clinic")
            && message.contains("relief-agency")
            && message.contains(&site),
        "{message}"
    );
    for digits in ["996123", "994321", "003456", "005678"] {
        assert!(!refused.text.contains(digits), "{}", refused.text);
    }
}

on_both_stores!(
    conflict_only_sites_are_hidden_from_a_uss,
    oir_life_cycle,
    oir_validation_errors,
    ovn_and_manager_rules,
    key_rule_with_several_operational_intents_and_constraints,
    implicit_subscription_life_cycle,
    both_apis_see_the_same_airspace,
);
