// A loopback mail receiver for the end-to-end tests. It accepts both ways portcullis sends mail:
// the signed webhook (POST /hooks/mail, checked with the sync protocol's verifier) and a
// transactional email API in Resend's format (POST /emails, with a Bearer key). `down` makes it
// answer 503, as a provider in an outage would.
import { createServer } from "node:http";
import { verifyRequest } from "../../../examples/payload/ba-sync/verify.mjs";

export function startMailbox({ port, webhookSecret, apiKey }) {
  const messages = [];
  const stats = { requests: 0, refused: 0, duplicates: 0, unavailable: 0 };
  const state = { down: false };
  const seenIds = new Set();

  function accept(message) {
    if (seenIds.has(message.id)) {
      stats.duplicates++;
      return;
    }
    seenIds.add(message.id);
    messages.push(message);
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      stats.requests++;
      const body = Buffer.concat(chunks);
      const answer = (status, json) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (state.down) {
        stats.unavailable++;
        return answer(503, { error: "mail service unavailable" });
      }
      if (req.method === "POST" && req.url === "/hooks/mail") {
        const check = verifyRequest({ headers: req.headers, method: "POST", path: "/hooks/mail", body, secrets: [webhookSecret], nowSeconds: Math.floor(Date.now() / 1000) });
        if (!check.ok) {
          stats.refused++;
          return answer(401, { error: check.reason });
        }
        const { type, message } = JSON.parse(body);
        if (type !== "email" || message?.id !== check.id) {
          stats.refused++;
          return answer(400, { error: "not an email" });
        }
        accept({ via: "webhook", ...message });
        return answer(200, { ok: true });
      }
      if (req.method === "POST" && req.url === "/emails") {
        if (req.headers.authorization !== `Bearer ${apiKey}`) {
          stats.refused++;
          return answer(401, { name: "validation_error", message: "API key is invalid" });
        }
        const email = JSON.parse(body);
        if (!Array.isArray(email.to) || !email.from || !email.subject || !email.html || !email.text) {
          stats.refused++;
          return answer(422, { name: "validation_error", message: "missing fields" });
        }
        accept({ via: "resend", id: req.headers["idempotency-key"], to: email.to[0], from: email.from, subject: email.subject, text: email.text, html: email.html, url: email.text.match(/https?:\/\/\S+/)?.[0] });
        return answer(200, { id: `re_${messages.length}` });
      }
      answer(404, { error: "not found" });
    });
  });

  return {
    messages,
    stats,
    state,
    listening: new Promise((resolve) => server.listen(port, "127.0.0.1", resolve)),
    close: () => new Promise((resolve) => server.close(resolve)),
    /** The messages to `to`, oldest first. */
    to: (to) => messages.filter((m) => m.to === to),
    /** Waits until `count` messages to `to` arrived (polling; `poke` may fire the cron meanwhile). */
    async waitFor(to, { count = 1, timeoutMs = 15_000, poke } = {}) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = messages.filter((m) => m.to === to);
        if (found.length >= count) return found[count - 1];
        if (poke) await poke();
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no message #${count} to ${to} within ${timeoutMs} ms (${JSON.stringify(stats)})`);
    },
  };
}
