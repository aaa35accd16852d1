import { fireEvent, screen } from '@testing-library/react';
import { sessionStore } from '../src/session/session';
import { ADMIN, renderAt, scriptFetch, signInAs } from './helpers';

afterEach(() => sessionStore.signOut());

const tenant = (i: number) => ({
  tenant_id: `t-${i}`,
  tenant_name: `Tenant ${i}`,
  slug: `tenant-${i}`,
  tier: 'standard',
  is_active: true,
  limits: {},
  created_at: '2026-01-01T00:00:00Z',
});

it('the tenant list pages through the API (limit and offset) and searches with ?search=', async () => {
  signInAs(ADMIN);
  const calls = scriptFetch((c) => {
    const u = new URL(c.url, 'http://x');
    if (u.pathname !== '/api/v1/tenants') return undefined;
    const offset = Number(u.searchParams.get('offset'));
    const total = u.searchParams.get('search') ? 1 : 45;
    const data = Array.from({ length: Math.min(20, total - offset) }, (_, i) => tenant(offset + i + 1));
    return { body: { status: 'success', data, meta: { total, limit: 20, offset } } };
  });
  renderAt('/tenants');
  expect(await screen.findByText('1–20 of 45')).toBeTruthy();
  expect(screen.getByRole('button', { name: 'Previous' }).hasAttribute('disabled')).toBe(true);
  fireEvent.click(screen.getByRole('button', { name: 'Next' }));
  expect(await screen.findByText('21–40 of 45')).toBeTruthy();
  expect(screen.getByRole('link', { name: 'Tenant 21' })).toBeTruthy();
  fireEvent.click(screen.getByRole('button', { name: 'Next' }));
  expect(await screen.findByText('41–45 of 45')).toBeTruthy();
  expect(screen.getByRole('button', { name: 'Next' }).hasAttribute('disabled')).toBe(true);
  expect(calls.map((c) => c.url)).toEqual(['/api/v1/tenants?limit=20&offset=0', '/api/v1/tenants?limit=20&offset=20', '/api/v1/tenants?limit=20&offset=40']);

  fireEvent.change(screen.getByLabelText('Search tenants'), { target: { value: ' acme ' } });
  fireEvent.click(screen.getByRole('button', { name: 'Search' }));
  expect(await screen.findByRole('link', { name: 'Tenant 1' })).toBeTruthy();
  expect(calls[calls.length - 1].url).toBe('/api/v1/tenants?search=acme&limit=20&offset=0');
  expect(screen.queryByRole('navigation', { name: 'Tenants pages' })).toBeNull();
});
