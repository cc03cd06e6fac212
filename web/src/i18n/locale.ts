/**
 * Which language the page speaks: the one chosen with the switch (kept in localStorage), else
 * the browser's (`navigator.languages`), else English. Any `zh` gets Simplified Chinese: a
 * reader of Traditional Chinese reads it more easily than English.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { readStorage, writeStorage } from '../ui/storage.ts';
import { format, type Lang, STRINGS, type StringKey } from './strings.ts';

const STORAGE_KEY = 'sluice.lang';

export function pickLang(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('en')) return 'en';
    if (lower.startsWith('zh')) return 'zh-CN';
  }
  return 'en';
}

export function initialLang(): Lang {
  const saved = readStorage(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return pickLang(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
}

export function saveLang(lang: Lang): void {
  writeStorage(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
}

export type Translate = (
  key: StringKey,
  values?: Readonly<Record<string, string | number>>,
) => string;

export function translator(lang: Lang): Translate {
  const table = STRINGS[lang];
  return (key, values) => format(table[key], values);
}

export interface LocaleContextValue {
  readonly lang: Lang;
  readonly t: Translate;
  readonly setLang: (lang: Lang) => void;
}

export const LocaleContext = createContext<LocaleContextValue>({
  lang: 'en',
  t: translator('en'),
  setLang: () => undefined,
});

export function useLocale(): LocaleContextValue {
  return useContext(LocaleContext);
}
