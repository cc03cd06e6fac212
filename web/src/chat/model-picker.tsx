/** The model for the next question, from `/api/models`; the built-in demo model says it is one. */
import { DEMO_OWNER, type Model } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';

export function ModelPicker({
  models,
  value,
  onChange,
}: {
  models: readonly Model[];
  value: string;
  onChange: (id: string) => void;
}) {
  const { t } = useLocale();
  if (models.length === 0) return <span class="muted">{t('noModels')}</span>;
  return (
    <label class="model-picker">
      <span class="visually-hidden">{t('model')}</span>
      <select
        name="model"
        value={value}
        onChange={(event) => {
          onChange(event.currentTarget.value);
        }}
      >
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.owned_by === DEMO_OWNER ? t('demoModel', { id: m.id }) : m.id}
          </option>
        ))}
      </select>
    </label>
  );
}
