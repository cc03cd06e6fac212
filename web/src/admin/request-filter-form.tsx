/**
 * The request log's filter form: who (user, key), what (model, upstream), how it went (status,
 * end reason) and when (a span, or a custom range). It edits a copy of the filters and hands
 * them over on "Filter"; the panel puts them in the address, which is where they live.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AdminKey, AdminUpstream, AdminUser, UsageRecord } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import type { StringKey } from '../i18n/strings.ts';
import {
  type FilterName,
  type Filters,
  isOfferedSpan,
  isoOfLocal,
  localOfIso,
  NO_FILTERS,
  SPANS,
} from './request-filters.ts';

const END_REASONS = [
  'done',
  'client_cancelled',
  'upstream_error',
  'timeout',
  'rejected',
  'shutdown',
  'interrupted',
  'incomplete',
] as const satisfies readonly UsageRecord['end_reason'][];

const SPAN_LABELS: Readonly<Record<(typeof SPANS)[number], StringKey>> = {
  '1h': 'last1h',
  '24h': 'last24h',
  '7d': 'last7d',
  '30d': 'last30d',
  '': 'allTime',
};

const CUSTOM = 'custom';

function isCustom(filters: Filters): boolean {
  return !isOfferedSpan(filters.since) || filters.until !== '';
}

export function RequestFilterForm({
  value,
  users,
  keys,
  upstreams,
  onApply,
  children,
}: {
  value: Filters;
  users: readonly AdminUser[];
  keys: readonly AdminKey[];
  upstreams: readonly AdminUpstream[];
  onApply: (filters: Filters) => void;
  /** More actions at the end of the row (the export). */
  children?: ComponentChildren;
}) {
  const { t } = useLocale();
  const [form, setForm] = useState<Filters>(value);
  // A custom range is chosen before its start is typed: the choice is kept apart from `since`.
  const [custom, setCustom] = useState(isCustom(value));
  useEffect(() => {
    setForm(value);
    setCustom(isCustom(value));
  }, [value]);

  const set = (name: FilterName, text: string) => {
    setForm({ ...form, [name]: text });
  };
  const field = (name: FilterName) => ({
    name,
    value: form[name],
    onInput: (e: { currentTarget: { value: string } }) => {
      set(name, e.currentTarget.value);
    },
  });
  const any = <option value="">{t('anyValue')}</option>;

  return (
    <form
      class="inline-form filters"
      aria-label={t('filters')}
      onSubmit={(event) => {
        event.preventDefault();
        onApply(custom ? form : { ...form, until: '' });
      }}
    >
      <label>
        {t('user')}
        <select {...field('user')}>
          {any}
          {users.map((u) => (
            <option key={u.id} value={u.username}>
              {u.username}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('keyPrefix')}
        <select {...field('key')}>
          {any}
          <option value="web">{t('webPageKey')}</option>
          {keys.map((k) => (
            <option key={k.id} value={k.id}>
              {`${k.prefix}… ${k.name ?? ''}`.trim()}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('model')}
        <input {...field('model')} placeholder={t('modelHint')} />
      </label>
      <label>
        {t('upstream')}
        <select {...field('upstream')}>
          {any}
          {upstreams.map((u) => (
            <option key={u.name} value={u.name}>
              {u.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('status')}
        <input {...field('status')} class="narrow" placeholder={t('statusHint')} />
      </label>
      <label>
        {t('endReason')}
        <select {...field('end_reason')}>
          {any}
          {END_REASONS.map((reason) => (
            <option key={reason} value={reason}>
              {reason}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('since')}
        <select
          name="range"
          value={custom ? CUSTOM : form.since}
          onChange={(e) => {
            const choice = e.currentTarget.value;
            setCustom(choice === CUSTOM);
            setForm({ ...form, since: choice === CUSTOM ? '' : choice });
          }}
        >
          {SPANS.map((span) => (
            <option key={span} value={span}>
              {t(SPAN_LABELS[span])}
            </option>
          ))}
          <option value={CUSTOM}>{t('customRange')}</option>
        </select>
      </label>
      {custom && (
        <>
          <label>
            {t('from')}
            <input
              type="datetime-local"
              name="from"
              value={localOfIso(form.since)}
              onInput={(e) => {
                set('since', isoOfLocal(e.currentTarget.value));
              }}
            />
          </label>
          <label>
            {t('until')}
            <input
              type="datetime-local"
              name="until"
              value={localOfIso(form.until)}
              onInput={(e) => {
                set('until', isoOfLocal(e.currentTarget.value));
              }}
            />
          </label>
        </>
      )}
      <button type="submit" class="primary">
        {t('applyFilters')}
      </button>
      <button
        type="button"
        class="ghost"
        onClick={() => {
          onApply(NO_FILTERS);
        }}
      >
        {t('clearFilters')}
      </button>
      {children}
    </form>
  );
}
