// The pave-go fake PAVE server driven from Node: node --test (Node 20).
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { startFake, startReceiver } from "./pavefake.mjs";

let fake;
before(async () => { fake = await startFake(); });
after(() => fake.close());
beforeEach(async () => assert.equal((await fake.control("POST", "/_fake/reset")).status, 200));

async function create(body = { vehicle: { vin: "1HGCV1F39LA012345" }, sms: { to: "416-555-0199" } }) {
  const ans = await fake.api("POST", "/v1/sessions", body);
  assert.equal(ans.status, 201, ans.raw);
  return ans.json.session_key;
}

test("health needs no credentials", async () => {
  const ans = await fake.control("GET", "/_fake/health");
  assert.deepEqual([ans.status, ans.json], [200, { status: "ok" }]);
});

test("create and get a session", async () => {
  const key = await create();
  const ans = await fake.api("GET", `/v1/sessions/${key}`);
  assert.equal(ans.json.status, "IDLE");
  assert.equal(ans.json.vehicle.vin, "1HGCV1F39LA012345");
});

test("a refusal says why in Pave-Fake-Reason, the body stays PAVE's", async () => {
  const ts = fake.timestamp().replace("Z", ".123Z"); // what new Date().toJSON() sends
  const ans = await fake.api("GET", "/v1/callbacks", undefined, ts);
  assert.deepEqual([ans.status, ans.json], [401, { message: "Invalid API-Token." }]);
  assert.match(ans.headers.get("pave-fake-reason"), /milliseconds.*--lenient/);
});

test("complete delivers SESSION:COMPLETE, flushed", async () => {
  const rc = await startReceiver();
  try {
    await fake.api("POST", "/v1/callbacks", { event: "SESSION:COMPLETE", url: `${rc.url}/complete` });
    const key = await create();
    assert.equal((await fake.control("POST", `/_fake/sessions/${key}/complete`)).json.status, "COMPLETE");
    assert.equal((await fake.control("POST", "/_fake/deliveries/flush")).status, 200);
    assert.equal(rc.received.length, 1);
    assert.equal(rc.received[0].body.session.session_key, key);
  } finally {
    await rc.close();
  }
});

test("results: not ready, then the document", async () => {
  const key = await create();
  assert.deepEqual((await fake.api("GET", `/v1/sessions/${key}/results`)).json, { message: "Session is not yet completed." });
  await fake.control("POST", `/_fake/sessions/${key}/complete`);
  const res = (await fake.api("GET", `/v1/sessions/${key}/results`)).json;
  assert.equal(res.event, "SESSION:COMPLETE");
});

test("faults are listed and removed", async () => {
  const { id } = (await fake.control("POST", "/_fake/faults", { path: "/v1/callbacks", status: 503 })).json;
  assert.equal((await fake.api("GET", "/v1/callbacks")).status, 503);
  assert.deepEqual((await fake.control("GET", "/_fake/faults")).json.map((f) => f.id), [id]);
  assert.equal((await fake.control("DELETE", `/_fake/faults/${id}`)).status, 200);
  assert.equal((await fake.api("GET", "/v1/callbacks")).status, 200);
});

test("after the clock moves 8 days, signing with the last Date still gets in", async () => {
  assert.equal((await fake.control("POST", "/_fake/clock", { advance_seconds: 8 * 86400 })).status, 200);
  assert.equal((await fake.api("GET", "/v1/callbacks")).status, 200);
  const local = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  assert.equal((await fake.api("GET", "/v1/callbacks", undefined, local)).status, 401);
});

test("hotspots: upload, process, results", async () => {
  const key = await create({});
  const photos = [{ photo_label: "Front", url: "https://cdn.example.com/front.jpg" }];
  assert.equal((await fake.api("POST", `/v1/hotspots/${key}/photos-url`, { photos })).status, 200);
  await fake.control("POST", `/_fake/hotspots/${key}/process`);
  assert.equal((await fake.api("GET", `/v1/hotspots/${key}`)).json.success, true);
});

test("control requests are validated by field", async () => {
  const ans = await fake.control("POST", "/_fake/faults", { statsu: 503 });
  assert.equal(ans.status, 400);
  assert.ok("statsu" in ans.json.errors);
});
