import { accessDocs } from './access-docs';

describe('accessDocs', () => {
  it('documents public routes with no security requirement', () => {
    expect(accessDocs([{ kind: 'public' }])).toEqual({ security: [], sentence: 'Public: no credentials.' });
  });

  it('names staff roles (admin always included) under the user JWT scheme', () => {
    expect(accessDocs([{ kind: 'roles', roles: ['finance'] }])).toEqual({
      security: [{ userJwt: [] }],
      sentence: 'Access: staff JWT with role finance or admin.',
    });
  });

  it('offers both API key schemes for scopes, and every way in of a route with several rules', () => {
    expect(
      accessDocs([
        { kind: 'scopes', scopes: ['usage:write', 'usage:read'] },
        { kind: 'roles', roles: ['support', 'admin'] },
      ]),
    ).toEqual({
      security: [{ apiKey: [] }, { apiKeyHeader: [] }, { userJwt: [] }],
      sentence:
        'Access: service API key with scope usage:write and usage:read; or staff JWT with role support or admin.',
    });
  });

  it('says any API key when a scope rule names none', () => {
    expect(accessDocs([{ kind: 'user' }, { kind: 'scopes', scopes: [] }]).sentence).toBe(
      'Access: any signed-in user (user JWT); or any service API key.',
    );
  });

  it('says a route without rules is closed', () => {
    expect(accessDocs([]).sentence).toMatch(/^Closed/);
  });
});
