// Shared by the headless-Chromium suites: the browser, and SPA pages served on loopback origins.
import { createServer } from "node:http";
import { chromium } from "playwright-core";

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Serves `handler` at `origin` (a loopback origin with a port); resolves to a close function. */
export async function servePage(origin, handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(Number(new URL(origin).port), "127.0.0.1", resolve));
  return () => new Promise((resolve) => server.close(resolve));
}
