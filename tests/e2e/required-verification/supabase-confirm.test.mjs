// supabase-js on a server that requires confirmed addresses (REQUIRE_EMAIL_VERIFICATION), mailing
// to the development mailbox: sign-up answers the user without a session, and the confirmation
// message's link (PKCE: back with ?code=) or code (verifyOtp type signup) opens one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { BASE, call, freshIp, uniqueEmail } from "../helpers.mjs";

const PASSWORD = "correct horse battery";

function supabase(flowType) {
  const items = new Map();
  const storage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
  return createClient(BASE, "public-anon-key", {
    auth: { flowType, storage, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { "cf-connecting-ip": freshIp() } },
  }).auth;
}

async function messages(email, count) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await call(`/dev/mailbox?email=${encodeURIComponent(email)}`);
    if (res.json.messages.length >= count) return res.json.messages;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`fewer than ${count} messages to ${email}`);
}

test("the confirmation link brings a PKCE client back with a code for its session", async () => {
  const auth = supabase("pkce");
  const email = uniqueEmail("sb-confirm");
  const up = await auth.signUp({ email, password: PASSWORD, options: { emailRedirectTo: `${BASE}/confirmed` } });
  assert.equal(up.error, null, JSON.stringify(up.error));
  assert.equal(up.data.session, null, "no session before the confirmation");
  assert.equal(up.data.user.email, email);
  const [message] = await messages(email, 1);
  assert.match(message.url, /\/auth\/v1\/verify\?token=.*type=signup/);
  const res = await fetch(message.url, { redirect: "manual" });
  assert.equal(res.status, 303);
  const landing = new URL(res.headers.get("location"));
  assert.equal(landing.pathname, "/confirmed");
  const { data, error } = await auth.exchangeCodeForSession(landing.searchParams.get("code"));
  assert.equal(error, null, JSON.stringify(error));
  assert.ok(data.user.email_confirmed_at);
  assert.equal((await supabase("pkce").signInWithPassword({ email, password: PASSWORD })).error, null, "the password is kept");
});

test("the confirmation code: verifyOtp type signup; before it, the password is refused", async () => {
  const auth = supabase("implicit");
  const email = uniqueEmail("sb-confirm-code");
  assert.equal((await auth.signUp({ email, password: PASSWORD })).error, null);
  const [message] = await messages(email, 1);
  const code = message.text.match(/Code: (\d{6})/)[1];
  const refused = await supabase("implicit").signInWithPassword({ email, password: PASSWORD });
  assert.equal(refused.error?.code, "email_not_confirmed");
  const { data, error } = await auth.verifyOtp({ email, token: code, type: "signup" });
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(data.user.email, email);
  assert.ok(data.session.access_token);
});
