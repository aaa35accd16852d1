import { fireEvent, render, screen } from '@testing-library/react';
import { CreateKey } from '../src/pages/ApiKeys';
import { InviteUser } from '../src/pages/Users';
import { CreateTenant } from '../src/pages/Tenants';
import { EditLimits } from '../src/pages/TenantOverview';
import { futureDate } from '../src/lib/validate';
import { sessionStore } from '../src/session/session';
import { ADMIN, scriptFetch, signInAs, userOf } from './helpers';
import type { Tenant } from '../src/api/types';

afterEach(() => sessionStore.signOut());

describe('forms validate before they send', () => {
  it('new tenant: an empty name and a bad slug are shown by their fields and nothing is sent', () => {
    signInAs(ADMIN);
    const calls = scriptFetch();
    render(<CreateTenant onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Slug'), { target: { value: 'Not A Slug' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create tenant' }));
    expect(screen.getByLabelText(/^Name/).getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Name is required.')).toBeTruthy();
    expect(screen.getByText(/Slug must be 1-63 lowercase/)).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('new tenant: a valid form sends the contract’s body and shows the API’s error with its request id', async () => {
    signInAs(ADMIN);
    const calls = scriptFetch(() => ({
      status: 409,
      body: { status: 'error', error: { code: 'CONFLICT', message: 'A tenant with slug "acme" already exists.', request_id: 'req-409' } },
    }));
    render(<CreateTenant onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: ' Acme ' } });
    fireEvent.change(screen.getByLabelText('Slug'), { target: { value: 'acme' } });
    fireEvent.change(screen.getByLabelText('Tier'), { target: { value: 'premium' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create tenant' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('A tenant with slug "acme" already exists.');
    expect(alert.textContent).toContain('req-409');
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/tenants', body: { tenant_name: 'Acme', slug: 'acme', tier: 'premium' } });
  });

  it('invite user: username pattern and password length are checked', () => {
    const onSave = jest.fn();
    render(<InviteUser busy={false} onCancel={() => undefined} onSave={onSave} />);
    fireEvent.change(screen.getByLabelText(/^Username/), { target: { value: 'a b' } });
    fireEvent.change(screen.getByLabelText(/^Initial password/), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByText(/Username must be 3-64/)).toBeTruthy();
    expect(screen.getByText('Password must be at least 8 characters.')).toBeTruthy();
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText(/^Username/), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText(/^Initial password/), { target: { value: 'long-enough' } });
    fireEvent.change(screen.getByLabelText('Role'), { target: { value: 'viewer' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(onSave).toHaveBeenCalledWith({ username: 'alice', password: 'long-enough', role: 'viewer' });
  });

  it('tier and limits: a non-number is refused; empty limits are left out (server defaults)', () => {
    const onSave = jest.fn();
    const tenant = { tenant_id: 't', tenant_name: 'T', slug: 't', tier: 'standard', is_active: true, limits: { max_kb: 3 } } as unknown as Tenant;
    render(<EditLimits tenant={tenant} busy={false} onCancel={() => undefined} onSave={onSave} />);
    fireEvent.change(screen.getByLabelText('Max documents'), { target: { value: '1.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save tier and limits' }));
    expect(screen.getByText('Max documents must be a whole number.')).toBeTruthy();
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText('Max documents'), { target: { value: '100' } });
    fireEvent.change(screen.getByLabelText('Tier'), { target: { value: 'enterprise' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save tier and limits' }));
    expect(onSave).toHaveBeenCalledWith({ tier: 'enterprise', limits: { max_documents: 100, max_kb: 3 } });
  });

  it('new API key: needs a name, a KB scope and a permission; offers only permissions the user holds', () => {
    signInAs(userOf('member'));
    const onSave = jest.fn();
    const kbs = [{ kb_id: '11111111-1111-4111-8111-111111111111', kb_name: 'manuals' }] as never;
    render(<CreateKey kbs={kbs} busy={false} onCancel={() => undefined} onSave={onSave} />);
    expect(screen.queryByLabelText('apikey:manage')).toBeNull();
    expect(screen.queryByLabelText('user:manage')).toBeNull();
    expect(screen.getByLabelText('kb:write')).toBeTruthy();
    fireEvent.click(screen.getByLabelText(/Only these/));
    for (const p of ['kb:read', 'document:read', 'query:run']) fireEvent.click(screen.getByLabelText(p));
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(screen.getByText('Name is required.')).toBeTruthy();
    expect(screen.getByText(/Choose at least one knowledge base/)).toBeTruthy();
    expect(screen.getByText('Choose at least one permission.')).toBeTruthy();
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'bot' } });
    fireEvent.click(screen.getByLabelText('manuals'));
    fireEvent.click(screen.getByLabelText('query:run'));
    fireEvent.change(screen.getByLabelText('Expiry date'), { target: { value: '2999-01-31' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(onSave).toHaveBeenCalledWith({
      key_name: 'bot',
      knowledge_base_ids: ['11111111-1111-4111-8111-111111111111'],
      permissions: ['query:run'],
      expires_at: '2999-01-31T23:59:59Z',
    });
  });

  it('an expiry date must be in the future', () => {
    const rule = futureDate('Expiry date', () => new Date('2026-06-01T12:00:00Z'));
    expect(rule('2026-05-31')).toBe('Expiry date must be in the future.');
    expect(rule('2026-06-01')).toBeNull();
    expect(rule('')).toBeNull();
    expect(rule('not-a-date')).toBe('Expiry date is not a date.');
  });
});
