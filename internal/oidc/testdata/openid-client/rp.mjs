// A relying party nobody at Rollcall wrote: panva's openid-client, strict
// about issuer, state, nonce, PKCE and the JWKS. TestOpenIDClient runs it.
// It talks to the test over stdin/stdout, one JSON object per line: it
// prints {"authorize": URL} and reads back the callback URL the browser
// reached; prints {"device": {...}} and waits for {"approved": true};
// and at the end prints {"result": {...}}.
import * as client from 'openid-client';
import * as readline from 'node:readline';

const [issuer, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const ask = async (msg) => {
  console.log(JSON.stringify(msg));
  const { value } = await lines.next();
  return JSON.parse(value);
};

// client_secret_basic: Rollcall's introspection endpoint accepts only that,
// as its discovery document says (openid-client would use client_secret_post).
const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
  execute: [client.allowInsecureRequests],
});

// The authorization code flow with PKCE, state and nonce.
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile email offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});
const { callback } = await ask({ authorize: url.href });
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

// Refresh (rotation), introspection, revocation.
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const live = await client.tokenIntrospection(config, refreshed.access_token);
await client.tokenRevocation(config, refreshed.access_token);
const revoked = await client.tokenIntrospection(config, refreshed.access_token);
// Userinfo with the revoked token: the library reads RFC 6750's challenge.
let refusal = 'answered';
try {
  await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
} catch (e) {
  refusal = e instanceof client.WWWAuthenticateChallengeError
    ? `${e.status} ${e.cause.map((c) => `${c.scheme} ${c.parameters.error}`).join(', ')}`
    : `${e.name}: ${e.message}`;
}

// The device authorization grant.
const device = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
await ask({ device: { user_code: device.user_code, verification_uri_complete: device.verification_uri_complete } });
const deviceTokens = await client.pollDeviceAuthorizationGrant(config, device);

console.log(JSON.stringify({
  result: {
    sub: claims.sub,
    email: userinfo.email,
    rotated: refreshed.refresh_token !== tokens.refresh_token,
    live: live.active,
    revoked: revoked.active,
    userinfo_after_revocation: refusal,
    device_sub: deviceTokens.claims().sub,
  },
}));
process.exit(0);
