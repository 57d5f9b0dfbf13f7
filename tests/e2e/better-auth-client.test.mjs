// better-auth's official client (npm better-auth, createAuthClient) against portcullis, unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { BASE, Jar, freshIp, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
// Node's fetch sends Sec-Fetch-Mode, so like a browser it must name its origin.
const headers = { origin: BASE };

/** Runs the whole account life cycle through a client and returns what it saw. */
async function lifeCycle(client, otherClient) {
  const email = uniqueEmail("client");
  const up = await client.signUp.email({ name: "Client User", email, password: PASSWORD });
  assert.equal(up.error, null, JSON.stringify(up.error));
  assert.equal(up.data.user.email, email);
  assert.ok(up.data.user.createdAt instanceof Date, "dates arrive as ISO strings the client revives");

  const session = await client.getSession();
  assert.equal(session.data.user.email, email);
  assert.equal(session.data.session.token, up.data.token);

  assert.equal((await client.signOut()).data.success, true);
  assert.equal((await client.getSession()).data, null);

  const wrong = await client.signIn.email({ email, password: "wrong password" });
  assert.equal(wrong.error.status, 401);
  assert.equal(wrong.error.code, "INVALID_EMAIL_OR_PASSWORD");

  const signIn = await client.signIn.email({ email, password: PASSWORD });
  assert.equal(signIn.error, null);
  const other = await otherClient.signIn.email({ email, password: PASSWORD });
  assert.equal(other.error, null);

  const sessions = await client.listSessions();
  assert.equal(sessions.error, null);
  assert.equal(sessions.data.length, 2);
  const foreign = sessions.data.find((s) => s.token !== signIn.data.token);
  assert.deepEqual((await client.revokeSession({ token: foreign.token })).data, { status: true });
  assert.equal((await otherClient.getSession()).data, null);

  assert.deepEqual((await client.updateUser({ name: "Renamed By Client" })).data, { status: true });
  assert.equal((await client.getSession()).data.user.name, "Renamed By Client");

  const changed = await client.changePassword({ currentPassword: PASSWORD, newPassword: "a brand new password", revokeOtherSessions: true });
  assert.equal(changed.error, null, JSON.stringify(changed.error));
  assert.equal(typeof changed.data.token, "string");
  assert.equal((await client.getSession()).data.session.token, changed.data.token);
  const old = await otherClient.signIn.email({ email, password: PASSWORD });
  assert.equal(old.error.code, "INVALID_EMAIL_OR_PASSWORD");
  assert.equal((await otherClient.signIn.email({ email, password: "a brand new password" })).error, null);
}

test("cookie mode: the client keeps the session in cookies", async () => {
  const make = () => {
    const jar = new Jar();
    return createAuthClient({ baseURL: BASE, fetchOptions: { customFetchImpl: jar.fetch, headers } });
  };
  await lifeCycle(make(), make());
});

test("bearer mode: the client keeps set-auth-token and sends Authorization", async () => {
  const make = () => {
    let token = "";
    return createAuthClient({
      baseURL: BASE,
      fetchOptions: {
        // Each client from its own address, as two devices would be.
        headers: { ...headers, "cf-connecting-ip": freshIp() },
        auth: { type: "Bearer", token: () => token },
        onSuccess: (ctx) => {
          const issued = ctx.response.headers.get("set-auth-token");
          if (issued) token = issued;
        },
      },
    });
  };
  await lifeCycle(make(), make());
});
