// A headless Debian chromium driven by playwright-core for the dashboard's tests: nothing is downloaded, a fresh
// profile each time, and a way to sign in through the one-time link `hiy login` prints.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Launches chromium headless (a fresh temporary profile per launch, no network side-channels). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The passkey script must be built (npm run build does it); built here when a test runs from a fresh checkout. */
export async function ensureDashboardAssets(): Promise<void> {
  const built = fileURLToPath(new URL('../../dist/bundle/static/passkey.js', import.meta.url));
  if (existsSync(built)) return;
  const { buildDashboardAssets } = await import('../../scripts/build.js');
  await buildDashboardAssets();
}

/** Opens a new browser context and signs in with the link `url` (the confirmation page's button). */
export async function signInWithLink(
  browser: Browser,
  url: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: /^Sign in as / }).click();
  await page.waitForURL((u) => u.pathname === '/');
  return { context, page };
}
