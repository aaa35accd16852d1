import { screen, within } from '@testing-library/react';
import { sessionStore } from '../src/session/session';
import { page, renderAt, scriptFetch, signInAs, userOf } from './helpers';

const KB = { kb_id: 'k1', tenant_id: 'tenant-1', kb_name: 'manuals', description: null, config: {}, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };

afterEach(() => sessionStore.signOut());

describe('what a user sees follows their permissions', () => {
  beforeEach(() => {
    scriptFetch((c) => (c.url.startsWith('/api/v1/tenants/tenant-1/knowledge-bases') ? page([KB]) : undefined));
  });

  it('a viewer sees the knowledge bases with no write buttons, and no key or user management in the nav', async () => {
    signInAs(userOf('viewer'));
    renderAt('/tenants/tenant-1/knowledge-bases');
    expect(await screen.findByRole('cell', { name: 'manuals' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /new knowledge base/i })).toBeNull();
    expect(screen.queryByRole('button', { name: /rename|delete|config/i })).toBeNull();
    const nav = within(screen.getByRole('navigation', { name: 'Main' }));
    expect(nav.getByRole('link', { name: 'Knowledge bases' })).toBeTruthy();
    expect(nav.queryByRole('link', { name: 'API keys' })).toBeNull();
    expect(nav.queryByRole('link', { name: 'Users' })).toBeNull();
  });

  it('a member may create and rename but not delete knowledge bases, and manages no keys or users', async () => {
    signInAs(userOf('member'));
    renderAt('/tenants/tenant-1/knowledge-bases');
    expect(await screen.findByRole('button', { name: 'Rename manuals' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'New knowledge base' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Delete manuals' })).toBeNull();
    const nav = within(screen.getByRole('navigation', { name: 'Main' }));
    expect(nav.queryByRole('link', { name: 'API keys' })).toBeNull();
    expect(nav.queryByRole('link', { name: 'Users' })).toBeNull();
  });

  it('an owner sees every control and the key and user pages', async () => {
    signInAs(userOf('owner'));
    renderAt('/tenants/tenant-1/knowledge-bases');
    expect(await screen.findByRole('button', { name: 'Delete manuals' })).toBeTruthy();
    const nav = within(screen.getByRole('navigation', { name: 'Main' }));
    expect(nav.getByRole('link', { name: 'API keys' })).toBeTruthy();
    expect(nav.getByRole('link', { name: 'Users' })).toBeTruthy();
    expect(nav.queryByRole('link', { name: 'Tenants' })).toBeNull();
  });

  it('signed out, any page shows the sign-in form', () => {
    renderAt('/tenants/tenant-1/users');
    expect(screen.getByRole('form', { name: 'Sign in' })).toBeTruthy();
    expect(screen.getByLabelText(/^Username/)).toBeTruthy();
    expect(screen.getByLabelText(/^Password/)).toBeTruthy();
  });
});
