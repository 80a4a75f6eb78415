import { useEffect, useState } from 'preact/hooks';
import type { ApiKey, Health } from '../../sdk/index.ts';
import { cairn, describeError, hasStoredKey, isDenied, setKey } from './api.ts';
import { CollectionSettingsForm } from './collections.tsx';
import { DeviceView, ModelsView } from './health-models.tsx';
import { t } from './i18n.ts';
import { useSignal } from './signal.ts';
import { collections, current, view } from './state.ts';

function HealthView() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    cairn.health().then(setHealth, (e) => setError(describeError(e)));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!health) return <p class="muted">…</p>;
  return (
    <section>
      <h3>{t('health')}</h3>
      <p id="health-summary">
        {health.status} · v{health.version} · auth: {health.auth} · {health.offline ? 'offline' : 'online'} · jobs queued:{' '}
        {health.jobs.queued}
      </p>
      <DeviceView device={health.device} />
      <table class="health">
        <tbody>
          {Object.entries(health.components).map(([name, c]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td class={c.available ? 'ok' : 'missing'}>{c.available ? t('available') : t('missing')}</td>
              <td>{c.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ModelsView models={health.models} />
      {health.dataDir && (
        <p class="muted">
          dataDir: <code>{health.dataDir}</code>
        </p>
      )}
      <OcrLine ocr={(health as { ocr?: { mode?: string; engines?: string[] } }).ocr} />
    </section>
  );
}

function OcrLine({ ocr }: { ocr: { mode?: string; engines?: string[] } | undefined }) {
  if (!ocr) return null;
  return (
    <p class="muted" id="health-ocr">
      OCR: {ocr.mode ?? '?'}
      {ocr.engines && ocr.engines.length > 0 && ` · ${ocr.engines.join(', ')}`}
    </p>
  );
}

/** Scopes as the CLI writes them: `docs:read,write *:admin`. */
function scopeText(key: ApiKey): string {
  return Object.entries(key.scopes)
    .map(([collection, scopes]) => `${collection}:${scopes.join(',')}`)
    .join(' ');
}

function Keys() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('*:read,write');
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => cairn.keys.list().then(setKeys, (e) => (isDenied(e) ? setKeys(null) : setError(describeError(e))));
  useEffect(() => void reload(), []);
  if (keys === null) return null;
  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const created = await cairn.keys.create({ name, scopes: scopes.split(/\s+/).filter(Boolean) });
      setSecret(created.secret);
      setName('');
      await reload();
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <section>
      <h3>{t('apiKeys')}</h3>
      <ul class="keys">
        {keys.map((key) => (
          <li key={key.id} class={key.revokedAt ? 'revoked' : ''}>
            <code>{key.name}</code> <span class="muted">{key.embed ? `embed: ${key.embed.collection}` : scopeText(key)}</span>{' '}
            {key.revokedAt ? (
              <span class="muted">{t('revoked')}</span>
            ) : (
              <button
                type="button"
                class="link danger"
                onClick={() => cairn.keys.revoke(key.id).then(reload, (e) => setError(describeError(e)))}
              >
                {t('revoke')}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={create}>
        <input
          required
          placeholder={t('keyName')}
          aria-label={t('keyName')}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <input aria-label={t('scopes')} value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
        <button type="submit" class="primary">
          {t('create')}
        </button>
      </form>
      {secret && <p class="secret">{t('newKey', { key: secret })}</p>}
      {error && <p class="error">{error}</p>}
    </section>
  );
}

export function SettingsPage() {
  const all = useSignal(collections);
  const name = useSignal(current);
  const collection = all.find((c) => c.name === name);
  return (
    <section class="settings-page" aria-label={t('settings')}>
      <button type="button" class="link" onClick={() => view.set('chat')}>
        ← {t('back')}
      </button>
      <HealthView />
      {collection && <CollectionSettingsForm key={collection.name} collection={collection} />}
      <Keys />
      {hasStoredKey() && (
        <button
          type="button"
          onClick={() => {
            setKey(null);
            location.reload();
          }}
        >
          {t('signOut')}
        </button>
      )}
    </section>
  );
}
