// Passkeys (WebAuthn, @simplewebauthn/server): registering one once signed in, and signing in with one. The
// relying party is the host the dashboard is served on; challenges are single-use and expire after 5 minutes.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { errorMessage } from '../../model/errors.js';
import { HttpError, readJson, sendJson } from '../http.js';
import type { DashboardContext, Viewer } from './context.js';
import { checkCsrf, checkSameOrigin, isHttps } from './session.js';
import { auditRefused, limitSignIn, openSession } from './signin.js';

const CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** The relying party of a request: its host name (without port) and origin. */
function relyingParty(req: IncomingMessage): { rpID: string; origin: string } {
  const host = String(req.headers.host ?? '');
  const rpID = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (!rpID) throw new HttpError(400, 'BAD_REQUEST', 'the request has no Host header');
  return { rpID, origin: `${isHttps(req) ? 'https' : 'http'}://${host}` };
}

function newChallenge(ctx: DashboardContext, challenge: string, user?: string): string {
  const now = Date.now();
  for (const [id, c] of ctx.challenges) if (c.expires < now) ctx.challenges.delete(id);
  // Unanswered challenges are bounded: the oldest goes first (a flood of option requests costs no memory).
  if (ctx.challenges.size >= 1000) ctx.challenges.delete(ctx.challenges.keys().next().value!);
  const id = randomBytes(16).toString('base64url');
  ctx.challenges.set(id, { challenge, expires: now + CHALLENGE_TTL_MS, ...(user ? { user } : {}) });
  return id;
}

function takeChallenge(ctx: DashboardContext, id: unknown, user?: string): string {
  const c = typeof id === 'string' ? ctx.challenges.get(id) : undefined;
  if (typeof id === 'string') ctx.challenges.delete(id);
  if (!c || c.expires < Date.now() || c.user !== user)
    throw new HttpError(400, 'CHALLENGE', 'the passkey request expired: try again');
  return c.challenge;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** POST /me/passkeys/options: registration options for the signed-in user. */
export async function registrationOptions(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
): Promise<void> {
  checkCsrf(req, viewer, req.headers['x-csrf-token'] as string | undefined);
  const name = viewer.user.metadata.name;
  const { rpID } = relyingParty(req);
  const existing = await ctx.passkeys.list(name);
  const options = await generateRegistrationOptions({
    rpName: 'HIY',
    rpID,
    userName: name,
    userID: new TextEncoder().encode(name),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({
      id: p.id,
      ...(p.transports ? { transports: p.transports } : {}),
    })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
  sendJson(res, 200, { challengeId: newChallenge(ctx, options.challenge, name), options });
}

/** POST /me/passkeys: verifies and stores a new passkey. */
export async function registerPasskey(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
): Promise<void> {
  checkCsrf(req, viewer, req.headers['x-csrf-token'] as string | undefined);
  const name = viewer.user.metadata.name;
  const body = await readJson(req);
  const expectedChallenge = takeChallenge(ctx, body.challengeId, name);
  const { rpID, origin } = relyingParty(req);
  const verified = await verifyRegistrationResponse({
    response: body.response as RegistrationResponseJSON,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: false,
  }).catch((err: Error) => {
    throw new HttpError(400, 'PASSKEY_REFUSED', `the passkey was not accepted: ${err.message}`);
  });
  if (!verified.verified) throw new HttpError(400, 'PASSKEY_REFUSED', 'the passkey was not accepted');
  const { credential } = verified.registrationInfo;
  const label =
    typeof body.label === 'string' && body.label.trim() ? body.label.trim().slice(0, 60) : 'passkey';
  await ctx.passkeys.add({
    id: credential.id,
    user: name,
    publicKey: b64url(credential.publicKey),
    counter: credential.counter,
    ...(credential.transports ? { transports: credential.transports } : {}),
    label,
    createdAt: new Date().toISOString(),
  });
  await ctx.audit.append({
    actor: name,
    via: 'dashboard',
    action: 'passkey.register',
    result: 'ok',
    detail: `${label}; from ${viewer.address}`,
  });
  sendJson(res, 201, { ok: true });
}

/** POST /login/passkey/options: a challenge for any passkey of this site (discoverable credentials). */
export async function authenticationOptions(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  checkSameOrigin(req);
  limitSignIn(ctx, req);
  const { rpID } = relyingParty(req);
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'preferred' });
  sendJson(res, 200, { challengeId: newChallenge(ctx, options.challenge), options });
}

/** POST /login/passkey: verifies the signed challenge and opens a session for the passkey's user. */
export async function signInWithPasskey(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  checkSameOrigin(req);
  limitSignIn(ctx, req);
  const body = await readJson(req);
  const expectedChallenge = takeChallenge(ctx, body.challengeId);
  const response = body.response as AuthenticationResponseJSON;
  const refuse = async (why: string) => {
    await auditRefused(ctx, req, 'signin', `passkey: ${why}`);
    return new HttpError(401, 'UNAUTHENTICATED', `sign-in refused: ${why}`);
  };
  const stored = typeof response?.id === 'string' ? await ctx.passkeys.find(response.id) : undefined;
  if (!stored) throw await refuse('this passkey is not registered here (or its user was removed)');
  const { rpID, origin } = relyingParty(req);
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: {
        id: stored.id,
        publicKey: new Uint8Array(Buffer.from(stored.publicKey, 'base64url')),
        counter: stored.counter,
        ...(stored.transports ? { transports: stored.transports as never } : {}),
      },
      requireUserVerification: false,
    });
  } catch (err) {
    throw await refuse(errorMessage(err));
  }
  if (!verified.verified) throw await refuse('the signature did not verify');
  if (!(await ctx.users.find(stored.user)))
    throw await refuse(`user ${stored.user} is not in the state repo`);
  await ctx.passkeys.used(stored.id, verified.authenticationInfo.newCounter, new Date().toISOString());
  await openSession(ctx, req, res, stored.user, 'passkey');
  sendJson(res, 200, { ok: true, user: stored.user });
}
