/** English / 简体中文; the choice is remembered (see i18n/locale.ts). */
import { useLocale } from '../i18n/locale.ts';
import { type Lang, LANG_NAMES } from '../i18n/strings.ts';

export function LanguageSwitch() {
  const { lang, setLang, t } = useLocale();
  return (
    <label class="language-switch">
      <span class="visually-hidden">{t('language')}</span>
      <select
        name="language"
        value={lang}
        onChange={(event) => {
          setLang(event.currentTarget.value as Lang);
        }}
      >
        {(Object.keys(LANG_NAMES) as Lang[]).map((code) => (
          <option key={code} value={code} lang={code}>
            {LANG_NAMES[code]}
          </option>
        ))}
      </select>
    </label>
  );
}
