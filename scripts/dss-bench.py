#!/usr/bin/env python3
# Sequential F3548 client: N operational intent creates (each naming the OVNs the 409 asks for),
# then N area queries; prints throughput and p50/p99 latency. Usage: dssbench.py BASE TOKEN N
import http.client, json, sys, time, uuid, random, datetime
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host = base.split("//")[1]
conn = http.client.HTTPConnection(host)
H = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
now = datetime.datetime.now(datetime.timezone.utc)
def t(m): return {"value": (now + datetime.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ"), "format": "RFC3339"}
def alt(v): return {"value": v, "reference": "W84", "units": "M"}
rng = random.Random(1)
def vol():
    lat, lng = 34 + rng.random() * 2, -118 + rng.random() * 2
    s = rng.randint(5, 600)
    return {"volume": {"outline_circle": {"center": {"lat": lat, "lng": lng}, "radius": {"value": rng.uniform(200, 3000), "units": "M"}},
            "altitude_lower": alt(0), "altitude_upper": alt(rng.uniform(50, 400))}, "time_start": t(s), "time_end": t(s + rng.randint(10, 120))}
def req(method, path, body):
    t0 = time.perf_counter()
    conn.request(method, path, json.dumps(body), H)
    r = conn.getresponse(); data = r.read()
    return r.status, json.loads(data), time.perf_counter() - t0
lat_w, lat_q, refiled = [], [], 0
t_start = time.perf_counter()
for i in range(n):
    v = vol(); key = []; oid = str(uuid.uuid4())
    while True:
        st, body, dt = req("PUT", f"/dss/v1/operational_intent_references/{oid}", {"extents": [v], "key": key, "state": "Accepted", "uss_base_url": "https://bench.example.com"})
        lat_w.append(dt)
        if st == 409:
            key += [r["ovn"] for r in body["missing_operational_intents"]]; refiled += 1; continue
        assert st == 201, (st, body); break
writes = time.perf_counter() - t_start
t_start = time.perf_counter()
hits = 0
for i in range(n):
    st, body, dt = req("POST", "/dss/v1/operational_intent_references/query", {"area_of_interest": vol()})
    assert st == 200, (st, body); lat_q.append(dt); hits += len(body["operational_intent_references"])
queries = time.perf_counter() - t_start
def pct(l, p): l = sorted(l); return l[min(len(l) - 1, int(len(l) * p))] * 1e6
print(json.dumps({"creates": n, "refiled_after_409": refiled, "create_requests_per_s": round(len(lat_w) / writes), "put_p50_us": round(pct(lat_w, .5)), "put_p99_us": round(pct(lat_w, .99)),
                  "queries": n, "queries_per_s": round(n / queries), "query_p50_us": round(pct(lat_q, .5)), "query_p99_us": round(pct(lat_q, .99)), "hits": hits}))
