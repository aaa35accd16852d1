import { useState } from 'react';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field } from '../components/Field';
import { sessionStore } from '../session/session';
import { hasErrors, pattern, required, validate, type Errors } from '../lib/validate';

type K = 'username' | 'password' | 'tenantId';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One sign-in for the platform admin and tenant users (POST /api/v1/auth/login); the token's claims tell which. */
export function SignIn() {
  const [values, setValues] = useState<Record<K, string>>({ username: '', password: '', tenantId: '' });
  const [errors, setErrors] = useState<Errors<K>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ended = sessionStore.endedBecause();
  const set = (k: K) => (v: string) => setValues({ ...values, [k]: v });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const found = validate(values, {
      username: [required('Username')],
      password: [required('Password')],
      tenantId: [pattern(UUID, 'Tenant ID must be a UUID (or left empty).')],
    });
    setErrors(found);
    if (hasErrors(found)) return;
    setBusy(true);
    setError(null);
    try {
      const body = { username: values.username.trim(), password: values.password, ...(values.tenantId ? { tenant_id: values.tenantId.trim() } : {}) };
      const r = await api<{ access_token: string }>('POST', '/auth/login', { body, anonymous: true });
      if (!sessionStore.start(r.data.access_token)) setError(new Error('The server returned a token the console cannot read.'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <h1>Sign in to Strata</h1>
      <p className="muted">The platform admin and tenant users sign in here.</p>
      {ended && !error && (
        <div className="banner banner-warn" role="status">
          {ended}
        </div>
      )}
      <ErrorBanner error={error} />
      <form onSubmit={submit} noValidate aria-label="Sign in">
        <Field label="Username" value={values.username} onChange={set('username')} error={errors.username} autoComplete="username" required autoFocus />
        <Field label="Password" type="password" value={values.password} onChange={set('password')} error={errors.password} autoComplete="current-password" required />
        <details>
          <summary>My username exists in several tenants</summary>
          <Field
            label="Tenant ID"
            value={values.tenantId}
            onChange={set('tenantId')}
            error={errors.tenantId}
            hint="Only needed when the same username exists in several tenants."
          />
        </details>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
