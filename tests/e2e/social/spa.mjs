// The SPA of the browser test: better-auth's own client, bundled for the page.
import { createAuthClient } from "better-auth/client";

window.createAuthClient = createAuthClient;
