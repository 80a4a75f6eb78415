import { t } from './i18n.ts';
import { signal, useSignal } from './signal.ts';

/** Per-ask settings the API takes (askSchema): retrieval mode, passages (k) and reflection; blank = the server's. */
export interface AskOptions {
  retrieve: '' | 'always' | 'never' | 'auto';
  k: string;
  reflect: '' | 'on' | 'off';
}

export const askOptions = signal<AskOptions>(
  JSON.parse(localStorage.getItem('cairn-ask-options') ?? 'null') ?? { retrieve: '', k: '', reflect: '' },
);

function update(change: Partial<AskOptions>): void {
  const next = { ...askOptions.get(), ...change };
  localStorage.setItem('cairn-ask-options', JSON.stringify(next));
  askOptions.set(next);
}

/** The options as ask parameters, leaving out what the server decides. */
export function askParams(options: AskOptions): { retrieve?: 'always' | 'never' | 'auto'; k?: number; reflect?: boolean } {
  const k = Number.parseInt(options.k, 10);
  return {
    ...(options.retrieve ? { retrieve: options.retrieve } : {}),
    ...(k >= 1 && k <= 50 ? { k } : {}),
    ...(options.reflect ? { reflect: options.reflect === 'on' } : {}),
  };
}

export function AskOptionsForm() {
  const options = useSignal(askOptions);
  return (
    <details class="ask-options">
      <summary>{t('answerOptions')}</summary>
      <label>
        {t('retrieval')}
        <select value={options.retrieve} onChange={(e) => update({ retrieve: e.currentTarget.value as AskOptions['retrieve'] })}>
          <option value="">{t('serverDefault')}</option>
          <option value="always">always</option>
          <option value="auto">auto</option>
          <option value="never">never</option>
        </select>
      </label>
      <label>
        {t('passages')}
        <input
          type="number"
          min={1}
          max={50}
          placeholder={t('serverDefault')}
          value={options.k}
          onInput={(e) => update({ k: e.currentTarget.value })}
        />
      </label>
      <label>
        {t('reflection')}
        <select value={options.reflect} onChange={(e) => update({ reflect: e.currentTarget.value as AskOptions['reflect'] })}>
          <option value="">{t('serverDefault')}</option>
          <option value="on">{t('on')}</option>
          <option value="off">{t('off')}</option>
        </select>
      </label>
    </details>
  );
}
