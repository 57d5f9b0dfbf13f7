// supabase-js against wrangler dev: @supabase/supabase-js itself, pointed at portcullis, over the
// same users and sessions as better-auth's client. Codes travel through the mail queue to a
// loopback mailbox; OAuth goes through a real OpenID Provider on loopback with PKCE.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { createAuthClient } from "better-auth/client";
import { createHash, randomBytes } from "node:crypto";
import { startProvider, throughProvider } from "./social/op.mjs";
import { API, BASE, Jar, freshIp, uniqueEmail } from "./helpers.mjs";
import { startMailbox } from "./mailbox/mailbox.mjs";

const PASSWORD = "correct horse battery";
const mailbox = startMailbox({ port: Number(process.env.MAIL_PORT), webhookSecret: process.env.MAIL_SECRET });
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());
let op;

before(async () => {
  await mailbox.listening;
  op = await startProvider({
    port: Number(process.env.OP_PORT),
    client: {
      client_id: "portcullis",
      client_secret: process.env.OP_CLIENT_SECRET,
      redirect_uris: [`${API}/callback/acme`],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "client_secret_post",
    },
  });
});
after(async () => {
  await mailbox.close();
  await op?.close();
});

/**
 * A supabase-js client in Node: memory storage, PKCE unless `flowType` says otherwise, its own
 * client address, events recorded; with `jar`, it keeps cookies as a page on the service's own
 * origin would.
 */
function supabase({ flowType = "pkce", jar } = {}) {
  const items = new Map();
  const storage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
  const client = createClient(BASE, "public-anon-key", {
    auth: { flowType, storage, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { "cf-connecting-ip": jar?.ip ?? freshIp() }, ...(jar ? { fetch: jar.fetch } : {}) },
  });
  const events = [];
  client.auth.onAuthStateChange((event) => events.push(event));
  return { auth: client.auth, events };
}

async function codeFor(email, count = 1) {
  const message = await mailbox.waitFor(email, { count, poke: cron });
  const match = message.text.match(/Code: (\d{6})/);
  assert.ok(match, message.text);
  return match[1];
}

async function signedUp() {
  const email = uniqueEmail("sb");
  const sb = supabase();
  const { data, error } = await sb.auth.signUp({ email, password: PASSWORD, options: { data: { plan: "pro" } } });
  assert.equal(error, null, JSON.stringify(error));
  assert.ok(data.session?.access_token, "sign-up opens a session");
  return { sb, email, session: data.session };
}

test("sign up, read the session, the user and claims verified through the JWKS", async () => {
  const { sb, email } = await signedUp();
  const { data: got } = await sb.auth.getSession();
  assert.equal(got.session.user.email, email);
  const { data: user, error } = await sb.auth.getUser();
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(user.user.user_metadata.plan, "pro");
  assert.deepEqual(user.user.app_metadata.providers, ["email"]);
  const { data: claims, error: claimsError } = await sb.auth.getClaims();
  assert.equal(claimsError, null, JSON.stringify(claimsError));
  assert.equal(claims.header.alg, "ES256", "verified locally with WebCrypto");
  assert.equal(claims.claims.email, email);
  assert.equal(claims.claims.role, "authenticated");
  assert.ok(claims.claims.session_id);
  const jwks = await (await fetch(`${BASE}/auth/v1/.well-known/jwks.json`)).json();
  assert.ok(jwks.keys.some((k) => k.kid === claims.header.kid && k.alg === "ES256"));
});

test("refreshSession rotates; a reused refresh token past the interval ends the session", async () => {
  const { sb, session } = await signedUp();
  const { data, error } = await sb.auth.refreshSession();
  assert.equal(error, null, JSON.stringify(error));
  assert.notEqual(data.session.refresh_token, session.refresh_token);
  await new Promise((r) => setTimeout(r, 1_500));
  const other = supabase();
  const reused = await other.auth.refreshSession({ refresh_token: session.refresh_token });
  assert.equal(reused.error?.code, "refresh_token_already_used");
  const { error: gone } = await sb.auth.getUser();
  assert.equal(gone?.name, "AuthSessionMissingError", "the family was revoked");
});

test("updateUser: metadata, password, then email by its confirmation link", async () => {
  const { sb, email } = await signedUp();
  const meta = await sb.auth.updateUser({ data: { theme: "dark", plan: null } });
  assert.equal(meta.error, null, JSON.stringify(meta.error));
  assert.equal(meta.data.user.user_metadata.theme, "dark");
  assert.equal(meta.data.user.user_metadata.plan, undefined);
  const pw = await sb.auth.updateUser({ password: "a brand new password" });
  assert.equal(pw.error, null, JSON.stringify(pw.error));
  const again = supabase();
  assert.equal((await again.auth.signInWithPassword({ email, password: PASSWORD })).error?.code, "invalid_credentials");
  assert.equal((await again.auth.signInWithPassword({ email, password: "a brand new password" })).error, null);
  const newEmail = uniqueEmail("sb-moved");
  const changed = await sb.auth.updateUser({ email: newEmail });
  assert.equal(changed.error, null, JSON.stringify(changed.error));
  assert.equal(changed.data.user.new_email, newEmail);
  const message = await mailbox.waitFor(newEmail, { poke: cron });
  const res = await fetch(message.url, { redirect: "manual" });
  assert.ok(res.status < 400, `${res.status}`);
  assert.equal((await sb.auth.getUser()).data.user.email, newEmail);
  assert.deepEqual(sb.events, ["INITIAL_SESSION", "SIGNED_IN", "USER_UPDATED", "USER_UPDATED", "USER_UPDATED"]);
});

test("setSession from tokens, then signOut in each scope", async () => {
  const { sb, email, session } = await signedUp();
  const copy = supabase();
  const set = await copy.auth.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
  assert.equal(set.error, null, JSON.stringify(set.error));
  assert.equal(set.data.user.email, email);
  const third = supabase();
  assert.equal((await third.auth.signInWithPassword({ email, password: PASSWORD })).error, null);

  assert.equal((await third.auth.signOut({ scope: "others" })).error, null);
  assert.equal((await sb.auth.getUser()).error?.name, "AuthSessionMissingError");
  assert.equal((await third.auth.getUser()).error, null);
  assert.equal((await third.auth.signOut({ scope: "local" })).error, null);
  assert.equal((await third.auth.getSession()).data.session, null);

  const fourth = supabase();
  const fifth = supabase();
  await fourth.auth.signInWithPassword({ email, password: PASSWORD });
  await fifth.auth.signInWithPassword({ email, password: PASSWORD });
  assert.equal((await fourth.auth.signOut()).error, null, "global by default");
  assert.equal((await fifth.auth.getUser()).error?.name, "AuthSessionMissingError");
  assert.deepEqual(fourth.events, ["INITIAL_SESSION", "SIGNED_IN", "SIGNED_OUT"]);
});

test("resetPasswordForEmail then verifyOtp recovery; signInWithOtp then verifyOtp", async () => {
  const { email } = await signedUp();
  const sb = supabase();
  assert.equal((await sb.auth.resetPasswordForEmail(email)).error, null);
  // Message 1 is the address-verification link sent at sign-up.
  const recovery = await sb.auth.verifyOtp({ email, token: await codeFor(email, 2), type: "recovery" });
  assert.equal(recovery.error, null, JSON.stringify(recovery.error));
  assert.equal((await sb.auth.updateUser({ password: "recovered password" })).error, null);
  assert.deepEqual(sb.events, ["INITIAL_SESSION", "PASSWORD_RECOVERY", "USER_UPDATED"]);

  const otp = supabase();
  assert.equal((await otp.auth.signInWithOtp({ email })).error, null);
  const wrong = await otp.auth.verifyOtp({ email, token: "000000", type: "email" });
  const code = await codeFor(email, 3);
  if (code !== "000000") assert.equal(wrong.error?.code, "otp_expired");
  const signedIn = await otp.auth.verifyOtp({ email, token: code, type: "email" });
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  assert.equal(signedIn.data.user.email, email);
});

test("reauthenticate: the emailed nonce lets an old session change the password", async () => {
  const { sb, email } = await signedUp();
  assert.equal((await sb.auth.reauthenticate()).error, null);
  const nonce = await codeFor(email, 2);
  const wrong = await sb.auth.updateUser({ password: "after reauthentication", nonce: nonce === "000000" ? "111111" : "000000" });
  assert.equal(wrong.error?.code, "reauthentication_not_valid");
  const right = await sb.auth.updateUser({ password: "after reauthentication", nonce });
  assert.equal(right.error, null, JSON.stringify(right.error));
  const check = await supabase().auth.signInWithPassword({ email, password: "after reauthentication" });
  assert.equal(check.error, null, JSON.stringify(check.error));
});

test("signInWithOAuth with PKCE through a real OpenID Provider, then exchangeCodeForSession", async () => {
  const sb = supabase();
  const { data, error } = await sb.auth.signInWithOAuth({ provider: "acme", options: { redirectTo: `${BASE}/done`, skipBrowserRedirect: true } });
  assert.equal(error, null);
  const jar = new Jar();
  const start = await fetch(data.url, { redirect: "manual", headers: { "cf-connecting-ip": jar.ip } });
  assert.equal(start.status, 302);
  jar.store(start);
  const callback = await throughProvider(start.headers.get("location"), `${API}/callback/acme`);
  const back = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header(), "cf-connecting-ip": jar.ip } });
  assert.equal(back.status, 302);
  const landing = new URL(back.headers.get("location"));
  assert.equal(`${landing.origin}${landing.pathname}`, `${BASE}/done`);
  const code = landing.searchParams.get("code");
  assert.ok(code, back.headers.get("location"));
  const exchanged = await sb.auth.exchangeCodeForSession(code);
  assert.equal(exchanged.error, null, JSON.stringify(exchanged.error));
  assert.equal(exchanged.data.user.email, "alice@example.test");
  assert.ok(exchanged.data.user.identities.some((i) => i.provider === "acme"));
  const replay = await supabase().auth.exchangeCodeForSession(code);
  assert.ok(replay.error, "a code is redeemed once, by the verifier's holder");
});

test("one user across both clients: signed up with supabase-js, signed in with better-auth's", async () => {
  const { sb, email } = await signedUp();
  const jar = new Jar();
  const ba = createAuthClient({ baseURL: BASE, fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } } });
  const signedIn = await ba.signIn.email({ email, password: PASSWORD });
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  const sessions = await ba.listSessions();
  assert.equal(sessions.data.length, 2, "better-auth sees the supabase-js session");
  const claims = (await sb.auth.getClaims()).data.claims;
  const theirs = sessions.data.find((s) => s.id === claims.session_id);
  assert.ok(theirs, "by its id");
  assert.equal((await ba.revokeSession({ token: theirs.token })).error, null);
  assert.equal((await sb.auth.getUser()).error?.name, "AuthSessionMissingError");
});

/** Follows a browser through the provider and back to portcullis' callback; the last redirect. */
async function viaProvider(startUrl, jar) {
  const start = await fetch(startUrl, { redirect: "manual", headers: { cookie: jar.header(), "cf-connecting-ip": jar.ip } });
  jar.store(start);
  const providerUrl = start.status === 302 ? start.headers.get("location") : startUrl;
  const callback = await throughProvider(providerUrl, `${API}/callback/acme`);
  const back = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header(), "cf-connecting-ip": jar.ip } });
  assert.equal(back.status, 302);
  return back.headers.get("location");
}

test("the link in a sign-in message: a PKCE client exchanges the code it brings back", async () => {
  const { email } = await signedUp();
  const sb = supabase();
  assert.equal((await sb.auth.signInWithOtp({ email, options: { emailRedirectTo: `${BASE}/welcome` } })).error, null);
  const message = await mailbox.waitFor(email, { count: 2, poke: cron });
  const link = message.text.match(/Or open this link: (\S+)/)?.[1];
  assert.ok(link?.startsWith(`${BASE}/auth/v1/verify?token=`), message.text);
  const res = await fetch(link, { redirect: "manual" });
  assert.equal(res.status, 303);
  const landing = new URL(res.headers.get("location"));
  assert.equal(landing.pathname, "/welcome");
  const { data, error } = await sb.auth.exchangeCodeForSession(landing.searchParams.get("code"));
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(data.user.email, email);
  const again = new URL((await fetch(link, { redirect: "manual" })).headers.get("location"));
  assert.equal(new URLSearchParams(again.hash.slice(1)).get("error_code"), "otp_expired", "a link works once");
});

test("the implicit flow (supabase-js's default): the session comes back in the fragment", async () => {
  const sb = supabase({ flowType: "implicit" });
  const { data } = await sb.auth.signInWithOAuth({ provider: "acme", options: { redirectTo: `${BASE}/home`, skipBrowserRedirect: true, queryParams: { login_hint: "user-alice" } } });
  assert.equal(new URL(data.url).searchParams.get("code_challenge"), null);
  const jar = new Jar();
  const hop = await viaProvider(data.url, jar);
  assert.ok(hop.startsWith(`${BASE}/auth/v1/callback?`), hop);
  const last = await fetch(hop, { redirect: "manual" });
  assert.equal(last.status, 303);
  const landing = new URL(last.headers.get("location"));
  assert.equal(landing.pathname, "/home");
  const fragment = new URLSearchParams(landing.hash.slice(1));
  assert.equal(fragment.get("token_type"), "bearer");
  const set = await sb.auth.setSession({ access_token: fragment.get("access_token"), refresh_token: fragment.get("refresh_token") });
  assert.equal(set.error, null, JSON.stringify(set.error));
  assert.equal(set.data.user.email, "alice@example.test");
});

test("linkIdentity links a provider account to the signed-in user, unlinkIdentity removes it", async () => {
  const jar = new Jar();
  const sb = supabase({ jar });
  const signedUp = await sb.auth.signUp({ email: "erin@example.test", password: PASSWORD });
  assert.equal(signedUp.error, null, JSON.stringify(signedUp.error));
  const { data, error } = await sb.auth.linkIdentity({ provider: "acme", options: { redirectTo: `${BASE}/linked`, skipBrowserRedirect: true, queryParams: { login_hint: "user-erin" } } });
  assert.equal(error, null, JSON.stringify(error));
  const landing = new URL(await viaProvider(data.url, jar));
  assert.equal(landing.pathname, "/linked");
  const exchanged = await sb.auth.exchangeCodeForSession(landing.searchParams.get("code"));
  assert.equal(exchanged.error, null, JSON.stringify(exchanged.error));
  assert.equal(exchanged.data.session.user.id, signedUp.data.user.id, "the same user");
  const { data: ids } = await sb.auth.getUserIdentities();
  assert.deepEqual(ids.identities.map((i) => i.provider).sort(), ["acme", "email"]);
  const acme = ids.identities.find((i) => i.provider === "acme");
  assert.equal((await sb.auth.unlinkIdentity(acme)).error, null);
  const email = (await sb.auth.getUserIdentities()).data.identities;
  assert.deepEqual(email.map((i) => i.provider), ["email"]);
  const last = await sb.auth.unlinkIdentity(email[0]);
  assert.equal(last.error?.code, "single_identity_not_deletable");
});

test("signInWithIdToken: an ID token the app got from the provider itself", async () => {
  const discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  const verifier = randomBytes(32).toString("base64url");
  const auth = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: "portcullis",
    response_type: "code",
    scope: "openid email profile",
    redirect_uri: `${API}/callback/acme`,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state: "app-state",
    nonce: "app-nonce",
    login_hint: "user-alice",
  })) auth.searchParams.set(k, v);
  const back = new URL(await throughProvider(auth.href, `${API}/callback/acme`));
  const exchanged = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: back.searchParams.get("code"), redirect_uri: `${API}/callback/acme`, client_id: "portcullis", client_secret: process.env.OP_CLIENT_SECRET, code_verifier: verifier }),
  });
  const { id_token } = await exchanged.json();
  assert.ok(id_token);
  const sb = supabase();
  const wrongNonce = await sb.auth.signInWithIdToken({ provider: "acme", token: id_token, nonce: "another-nonce" });
  assert.equal(wrongNonce.error?.code, "validation_failed");
  const { data, error } = await sb.auth.signInWithIdToken({ provider: "acme", token: id_token, nonce: "app-nonce" });
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(data.user.email, "alice@example.test");
  assert.equal((await sb.auth.getClaims()).data.claims.amr[0].method, "id_token");
});
