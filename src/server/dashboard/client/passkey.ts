// Browser side of passkeys (bundled by `npm run build` into dist/bundle/static/passkey.js): registers a passkey
// on the user's page and signs in with one on the sign-in page, through @simplewebauthn/browser.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const error = json.error as { message?: string } | undefined;
    throw new Error(error?.message ?? `the server answered ${res.status}`);
  }
  return json;
}

function showError(err: unknown): void {
  const box = document.getElementById('passkey-error');
  const message = err instanceof Error ? err.message : String(err);
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
}

function wire(id: string, run: () => Promise<void>): void {
  const button = document.getElementById(id) as HTMLButtonElement | null;
  if (!button) return;
  if (!browserSupportsWebAuthn()) {
    button.disabled = true;
    button.title = 'this browser does not support passkeys';
    return;
  }
  button.addEventListener('click', () => {
    button.disabled = true;
    run()
      .catch(showError)
      .finally(() => {
        button.disabled = false;
      });
  });
}

wire('passkey-register', async () => {
  const label = (document.getElementById('passkey-label') as HTMLInputElement | null)?.value ?? '';
  const { challengeId, options } = await post('/me/passkeys/options', {});
  const response = await startRegistration({ optionsJSON: options as never });
  await post('/me/passkeys', { challengeId, response, label });
  location.reload();
});

wire('passkey-signin', async () => {
  const { challengeId, options } = await post('/login/passkey/options', {});
  const response = await startAuthentication({ optionsJSON: options as never });
  await post('/login/passkey', { challengeId, response });
  location.href = '/';
});
