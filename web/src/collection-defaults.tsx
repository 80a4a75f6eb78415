import type { CollectionView } from '../../sdk/index.ts';
import { t } from './i18n.ts';

/**
 * A collection's search and answer defaults as the settings form edits them: '' is "not set", so
 * the server's config decides; a question's own answer options still win over these.
 */
export interface DefaultsForm {
  mode: '' | 'bm25' | 'dense' | 'hybrid';
  k: string;
  rerank: '' | 'on' | 'off';
  reflect: '' | 'on' | 'off';
  retrieve: '' | 'always' | 'never' | 'auto';
}

const onOff = (value: boolean | undefined): '' | 'on' | 'off' => (value === undefined ? '' : value ? 'on' : 'off');
const fromOnOff = (value: '' | 'on' | 'off'): boolean | null => (value === '' ? null : value === 'on');

export function defaultsForm(settings: CollectionView['settings']): DefaultsForm {
  const r = settings.retrieval ?? {};
  const a = settings.answer ?? {};
  return {
    mode: r.mode ?? '',
    k: r.k === undefined ? '' : String(r.k),
    rerank: onOff(r.rerank),
    reflect: onOff(a.reflect),
    retrieve: a.retrieve ?? '',
  };
}

/** The PATCH fields: null clears a setting the user blanked. */
export function defaultsPatch(form: DefaultsForm) {
  const k = Number.parseInt(form.k, 10);
  return {
    retrieval: {
      mode: form.mode === '' ? null : form.mode,
      k: k >= 1 && k <= 200 ? k : null,
      rerank: fromOnOff(form.rerank),
    },
    answer: { reflect: fromOnOff(form.reflect), retrieve: form.retrieve === '' ? null : form.retrieve },
  };
}

type Change = (change: Partial<DefaultsForm>) => void;

function Choice<K extends keyof DefaultsForm>(props: {
  name: K;
  label: string;
  values: string[];
  form: DefaultsForm;
  change: Change;
}) {
  const { name, label, values, form, change } = props;
  return (
    <label>
      {label}
      <select
        name={`defaults-${name}`}
        value={form[name]}
        onChange={(e) => change({ [name]: e.currentTarget.value } as Partial<DefaultsForm>)}
      >
        <option value="">{t('serverDefault')}</option>
        {values.map((value) => (
          <option key={value} value={value}>
            {value === 'on' || value === 'off' ? t(value) : value}
          </option>
        ))}
      </select>
    </label>
  );
}

export function DefaultsFields({ form, change }: { form: DefaultsForm; change: Change }) {
  return (
    <fieldset class="collection-defaults">
      <legend>{t('collectionDefaults')}</legend>
      <Choice name="mode" label={t('searchMode')} values={['hybrid', 'bm25', 'dense']} form={form} change={change} />
      <label>
        {t('passages')}
        <input
          name="defaults-k"
          type="number"
          min={1}
          max={200}
          placeholder={t('serverDefault')}
          value={form.k}
          onInput={(e) => change({ k: e.currentTarget.value })}
        />
      </label>
      <Choice name="rerank" label={t('rerankResults')} values={['on', 'off']} form={form} change={change} />
      <Choice name="reflect" label={t('reflection')} values={['on', 'off']} form={form} change={change} />
      <Choice name="retrieve" label={t('retrieval')} values={['always', 'auto', 'never']} form={form} change={change} />
    </fieldset>
  );
}
