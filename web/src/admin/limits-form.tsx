/**
 * Limits of a user or a key: requests and tokens per minute, streams at once, a token or cost
 * budget per day, month or in total. An empty field is no limit. The page only checks that a
 * field reads as a number; which numbers are limits (whole ones above 0, any cost above 0) is
 * the server's rule, and its 400 names the field (`limits.rpm`), which is shown here in words,
 * on that field, in the reader's language.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';
import type { BudgetPeriod, Limits } from '../api/types.ts';
import { usd } from '../charts/column-chart.tsx';
import { type Translate, useLocale } from '../i18n/locale.ts';
import type { StringKey } from '../i18n/strings.ts';
import { ErrorText } from '../ui/error-text.tsx';
import { errorText } from './use-list.ts';

type NumberField = Exclude<keyof Limits, 'budget_period'>;

const FIELDS: readonly { name: NumberField; label: StringKey; whole: boolean }[] = [
  { name: 'rpm', label: 'limitRpm', whole: true },
  { name: 'tpm', label: 'limitTpm', whole: true },
  { name: 'max_streams', label: 'limitMaxStreams', whole: true },
  { name: 'budget_tokens', label: 'limitBudgetTokens', whole: true },
  { name: 'budget_cost', label: 'limitBudgetCost', whole: false },
];

const PERIODS: readonly { value: BudgetPeriod; label: StringKey }[] = [
  { value: 'day', label: 'periodDay' },
  { value: 'month', label: 'periodMonth' },
  { value: 'total', label: 'periodTotal' },
];

/** `60 rpm · 4 streams · $5 per day`, or "none". */
export function limitsSummary(limits: Limits, t: Translate): string {
  const period = PERIODS.find((p) => p.value === limits.budget_period)?.label ?? 'periodMonth';
  const parts = [
    limits.rpm === null ? null : `${limits.rpm} rpm`,
    limits.tpm === null ? null : `${limits.tpm} tpm`,
    limits.max_streams === null ? null : `${limits.max_streams} ${t('limitMaxStreams')}`,
    limits.budget_tokens === null ? null : `${limits.budget_tokens} ${t('tokens')} ${t(period)}`,
    limits.budget_cost === null ? null : `${usd(limits.budget_cost)} ${t(period)}`,
  ].filter((part) => part !== null);
  return parts.length === 0 ? t('noLimits') : parts.join(' · ');
}

/** The text of a field as a limit: empty is none, a number is sent, `undefined` is neither. */
function parseLimit(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** The field a refusal of the server names (`limits.max_streams`), if it is one of the form's. */
function refusedField(error: unknown): (typeof FIELDS)[number] | undefined {
  if (!(error instanceof ApiError) || error.status !== 400) return undefined;
  return FIELDS.find(({ name }) => error.param === `limits.${name}`);
}

export function LimitsForm({
  title,
  limits,
  save,
  onDone,
}: {
  /** Whose limits: `Limits of ada`. */
  title: string;
  limits: Limits;
  /** Sends the limits; rejects with the server's error. */
  save: (limits: Limits) => Promise<unknown>;
  /** After a save that succeeded, or on cancel. */
  onDone: () => void;
}) {
  const { t } = useLocale();
  const [text, setText] = useState<Record<NumberField, string>>(() => ({
    rpm: String(limits.rpm ?? ''),
    tpm: String(limits.tpm ?? ''),
    max_streams: String(limits.max_streams ?? ''),
    budget_tokens: String(limits.budget_tokens ?? ''),
    budget_cost: String(limits.budget_cost ?? ''),
  }));
  const [period, setPeriod] = useState<BudgetPeriod>(limits.budget_period);
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<NumberField | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const wrong = FIELDS.find(({ name }) => parseLimit(text[name]) === undefined);
    if (wrong !== undefined) {
      setInvalid(wrong.name);
      setError(t(wrong.whole ? 'limitWhole' : 'limitNumber', { field: t(wrong.label) }));
      return;
    }
    // Every field reads as a number or none now.
    const value = (name: NumberField) => parseLimit(text[name]) ?? null;
    setInvalid(null);
    setError(null);
    setBusy(true);
    save({
      rpm: value('rpm'),
      tpm: value('tpm'),
      max_streams: value('max_streams'),
      budget_tokens: value('budget_tokens'),
      budget_cost: value('budget_cost'),
      budget_period: period,
    })
      .then(onDone)
      .catch((e: unknown) => {
        const field = refusedField(e);
        setInvalid(field?.name ?? null);
        setError(
          field === undefined
            ? errorText(e)
            : t(field.whole ? 'limitWhole' : 'limitNumber', { field: t(field.label) }),
        );
      })
      .finally(() => {
        setBusy(false);
      });
  };

  return (
    <form
      class="limits-form"
      data-testid="limits-form"
      aria-label={title}
      onSubmit={submit}
      noValidate
    >
      <p class="limits-title">{title}</p>
      <div class="limits-fields">
        {FIELDS.map(({ name, label }) => (
          <label key={name}>
            {t(label)}
            <input
              name={name}
              inputMode={name === 'budget_cost' ? 'decimal' : 'numeric'}
              placeholder={t('noLimit')}
              aria-invalid={invalid === name}
              value={text[name]}
              onInput={(e) => {
                setText({ ...text, [name]: e.currentTarget.value });
              }}
            />
          </label>
        ))}
        <label>
          {t('limitBudgetPeriod')}
          <select
            name="budget_period"
            value={period}
            onChange={(e) => {
              setPeriod(e.currentTarget.value as BudgetPeriod);
            }}
          >
            {PERIODS.map((p) => (
              <option key={p.value} value={p.value}>
                {t(p.label)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText text={error} />
      <div class="inline-form">
        <button type="submit" class="primary" disabled={busy}>
          {t('saveLimits')}
        </button>
        <button type="button" class="ghost" onClick={onDone}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
