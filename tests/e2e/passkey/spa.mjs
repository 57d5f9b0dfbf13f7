// The SPA of the passkey browser test: better-auth's client with `passkeyClient()`, bundled for
// the page.
import { createAuthClient } from "better-auth/client";
import { passkeyClient } from "@better-auth/passkey/client";

window.makeClient = (baseURL) => createAuthClient({ baseURL, plugins: [passkeyClient()] });
