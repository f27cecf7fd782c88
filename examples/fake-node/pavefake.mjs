// A small client of the pave-go fake PAVE server, with Node's standard
// library only: it starts `pave fake serve`, signs API requests as PAVE
// documents (HMAC-SHA256 of "username:api_key@timestamp" keyed with the
// API secret) with the time of the Date header of the fake's last answer,
// and calls the fake's control API (/_fake/...).
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { createInterface } from "node:readline";

export async function startFake(...flags) {
  const proc = spawn(process.env.PAVE_BIN || "pave", ["fake", "serve", "--addr", "127.0.0.1:0", "--json", ...flags],
    { stdio: ["ignore", "pipe", "pipe"] });
  const [line] = await createInterface({ input: proc.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
  if (!line) throw new Error("pave fake serve printed no start line");
  const fake = new Fake(proc, JSON.parse(line).base_url);
  for (let i = 0; (await fake.control("GET", "/_fake/health").catch(() => ({ status: 0 }))).status !== 200; i++) {
    if (i > 100) throw new Error("the fake did not answer /_fake/health");
    await new Promise((r) => setTimeout(r, 20));
  }
  const { accounts } = (await fake.control("GET", "/_fake/accounts")).json;
  Object.assign(fake, { username: accounts[0].username, apiKey: accounts[0].api_key, apiSecret: accounts[0].api_secret });
  return fake;
}

class Fake {
  constructor(proc, url) {
    Object.assign(this, { proc, url, lastDate: null });
  }

  async send(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const resp = await fetch(this.url + path, init);
    const raw = await resp.text();
    if (resp.headers.get("date")) this.lastDate = new Date(resp.headers.get("date"));
    let json = null;
    try { json = JSON.parse(raw); } catch { /* not JSON */ }
    return { status: resp.status, headers: resp.headers, json, raw };
  }

  control(method, path, body) {
    return this.send(method, path, body);
  }

  // The time to sign with: the fake's clock, as the Date of its last answer.
  timestamp() {
    return (this.lastDate || new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  signed(ts = this.timestamp()) {
    const token = createHmac("sha256", this.apiSecret).update(`${this.username}:${this.apiKey}@${ts}`).digest("hex");
    return { "API-Key": this.apiKey, "API-Timestamp": ts, "API-Token": token };
  }

  api(method, path, body, ts) {
    return this.send(method, path, body, this.signed(ts));
  }

  close() {
    this.proc.kill("SIGTERM");
    return new Promise((resolve) => this.proc.once("exit", resolve));
  }
}

// startReceiver collects the JSON bodies of webhook deliveries.
export async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      received.push({ path: req.url, body: JSON.parse(body) });
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
