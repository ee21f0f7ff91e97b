//! The per-area limit on a USS's explicit subscriptions (429, as the standard allows).

use super::*;

fn sub_body(v: &Value) -> Value {
    json!({"extents": v, "uss_base_url": "https://uss1.example.com/utm",
           "notify_for_operational_intents": true})
}

fn a_uss_may_hold_only_so_many_subscriptions_in_one_area(backend: Backend) {
    let dss = Dss::start_with(backend, &["--dss-max-subscriptions-per-area", "3"]);
    let uss1 = token("uss1", &[SC]);
    // Implicit subscriptions in the area do not count.
    for _ in 0..2 {
        let mut p = oir_params(&[here()], "Accepted", &[]);
        p["new_subscription"] = json!({"uss_base_url": "https://uss1.example.com/utm"});
        let key: Vec<String> = {
            let q = dss.post(
                "operational_intent_references/query",
                &uss1,
                &json!({"area_of_interest": here()}),
            );
            expect(&q, 200)["operational_intent_references"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["ovn"].as_str().unwrap().to_owned())
                .collect()
        };
        p["key"] = json!(key);
        expect(
            &dss.put(
                &format!("operational_intent_references/{}", id()),
                &uss1,
                &p,
            ),
            201,
        );
    }
    let mut ids = Vec::new();
    for _ in 0..3 {
        let s = id();
        expect(
            &dss.put(&format!("subscriptions/{s}"), &uss1, &sub_body(&here())),
            200,
        );
        ids.push(s);
    }
    let refused = dss.put(
        &format!("subscriptions/{}", id()),
        &uss1,
        &sub_body(&here()),
    );
    let m = expect(&refused, 429)["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        m.contains("3 subscriptions") && m.contains("subscriptions/query"),
        "{m}"
    );
    // Elsewhere, or another USS, or an update of one of the three: allowed.
    let far = square(50.0, 10.0, 0.01, (0.0, 120.0), (0, 60));
    expect(
        &dss.put(&format!("subscriptions/{}", id()), &uss1, &sub_body(&far)),
        200,
    );
    expect(
        &dss.put(
            &format!("subscriptions/{}", id()),
            &token("uss2", &[SC]),
            &sub_body(&here()),
        ),
        200,
    );
    expect(
        &dss.put(
            &format!("subscriptions/{}/1", ids[0]),
            &uss1,
            &sub_body(&here()),
        ),
        200,
    );
    // After a deletion there is room again.
    expect(
        &dss.delete(&format!("subscriptions/{}/1", ids[1]), &uss1),
        200,
    );
    expect(
        &dss.put(
            &format!("subscriptions/{}", id()),
            &uss1,
            &sub_body(&here()),
        ),
        200,
    );
}

on_both_stores!(a_uss_may_hold_only_so_many_subscriptions_in_one_area);
