// A real OpenID provider for the tests: the certified `oidc-provider` package from npm, run by
// node on 127.0.0.1 (accounts/tests/test_single_sign_on.py starts and stops it). Its built-in
// development login page accepts any login name with any password; the account's claims come
// from OIDC_ACCOUNTS (login -> {email, groups, oid}); an unknown login gets email = login. `oid`
// stands for Microsoft Entra ID's object id claim (given with the profile scope, as Entra does).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: JSON.parse(process.env.REDIRECT_URIS),
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'oid'], groups: ['groups'] },
  async findAccount(ctx, id) {
    const account = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: account.email || id, email_verified: true, name: id, groups: account.groups || [], ...(account.oid ? { oid: account.oid } : {}) };
      },
    };
  },
  // Grant what the client asks for without a consent page (a council's provider does the same
  // for its own line-of-business applications).
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['plo-tracker-test-only'] },
  features: { devInteractions: { enabled: true } },
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
