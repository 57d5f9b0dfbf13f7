// better-auth's client with adminClient() against portcullis: the first admin promoted with
// `npm run admin -- promote`, then a created user, roles, a ban that ends the user's open session and refuses
// sign-in, the user's sessions, a new password, permissions, and removal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createAuthClient } from "better-auth/client";
import { adminClient } from "better-auth/client/plugins";
import { BASE, Jar, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
const headers = { origin: BASE };

function client() {
  const jar = new Jar();
  return createAuthClient({ baseURL: BASE, plugins: [adminClient()], fetchOptions: { customFetchImpl: jar.fetch, headers } });
}

test("an admin manages a user through adminClient(): role, ban, sessions, password, removal", async () => {
  assert.ok(process.env.TEST_STATE, "scripts/e2e.sh exports TEST_STATE");
  const admin = client();
  const adminEmail = uniqueEmail("admin");
  assert.equal((await admin.signUp.email({ name: "Admin", email: adminEmail, password: PASSWORD })).error, null);
  const refused = await admin.admin.hasPermission({ permissions: { user: ["ban"] } });
  assert.equal(refused.data.success, false, "not an admin before the promotion");
  const promoted = execFileSync("bash", ["scripts/admin.sh", "promote", adminEmail, "--persist-to", `${process.env.TEST_STATE}/data`], { encoding: "utf8" });
  assert.match(promoted, /now has the roles: user,admin/);
  assert.equal((await admin.admin.hasPermission({ permissions: { user: ["ban"], session: ["revoke"] } })).data.success, true);

  const user = client();
  const email = uniqueEmail("managed");
  const up = await user.signUp.email({ name: "Managed", email, password: PASSWORD });
  const userId = up.data.user.id;
  assert.equal(up.data.user.role, "user");

  const role = await admin.admin.setRole({ userId, role: ["editor", "viewer"] });
  assert.equal(role.error, null, JSON.stringify(role.error));
  assert.equal(role.data.user.role, "editor,viewer");
  const got = await admin.admin.getUser({ query: { id: userId } });
  assert.equal(got.data.email, email);
  const updated = await admin.admin.updateUser({ userId, data: { name: "Renamed by an admin" } });
  assert.equal(updated.error, null, JSON.stringify(updated.error));
  assert.equal(updated.data.name, "Renamed by an admin");
  assert.equal((await user.getSession()).data.user.name, "Renamed by an admin");

  const listed = await admin.admin.listUsers({ query: { searchValue: email, limit: 10 } });
  assert.equal(listed.error, null, JSON.stringify(listed.error));
  assert.deepEqual(listed.data.users.map((u) => u.id), [userId]);
  assert.equal(listed.data.total, 1);

  const impersonated = await admin.admin.impersonateUser({ userId });
  assert.equal(impersonated.error, null, JSON.stringify(impersonated.error));
  assert.equal((await admin.getSession()).data.user.id, userId, "the admin's browser is the user");
  const stopped = await admin.admin.stopImpersonating();
  assert.equal(stopped.error, null, JSON.stringify(stopped.error));
  assert.equal((await admin.getSession()).data.user.email, adminEmail, "and the admin again");

  const sessions = await admin.admin.listUserSessions({ userId });
  assert.equal(sessions.data.sessions.length, 1);

  const ban = await admin.admin.banUser({ userId, banReason: "testing", banExpiresIn: 3600 });
  assert.equal(ban.error, null, JSON.stringify(ban.error));
  assert.equal(ban.data.user.banned, true);
  assert.equal((await user.getSession()).data, null, "the open session died with the ban");
  const banned = await user.signIn.email({ email, password: PASSWORD });
  assert.equal(banned.error.status, 403);
  assert.equal(banned.error.code, "BANNED_USER");
  assert.equal((await admin.admin.unbanUser({ userId })).data.user.banned, false);
  assert.equal((await user.signIn.email({ email, password: PASSWORD })).error, null);

  assert.deepEqual((await admin.admin.revokeUserSessions({ userId })).data, { success: true });
  assert.equal((await user.getSession()).data, null);
  assert.deepEqual((await admin.admin.setUserPassword({ userId, newPassword: "an admin-set password" })).data, { status: true });
  assert.equal((await user.signIn.email({ email, password: "an admin-set password" })).error, null);

  const createdEmail = uniqueEmail("created");
  const created = await admin.admin.createUser({ email: createdEmail, password: PASSWORD, name: "Created", role: "user" });
  assert.equal(created.error, null, JSON.stringify(created.error));
  assert.equal(created.data.user.role, "user");
  assert.equal((await client().signIn.email({ email: createdEmail, password: PASSWORD })).error, null);

  assert.deepEqual((await admin.admin.removeUser({ userId })).data, { success: true });
  assert.equal((await user.getSession()).data, null);
  assert.equal((await admin.admin.getUser({ query: { id: userId } })).error.status, 404);
  assert.equal((await user.admin.banUser({ userId: "anyone" })).error.status, 401);
});
