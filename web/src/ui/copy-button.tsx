/** A button that copies `text` and says so for a moment. */
import { useEffect, useState } from 'preact/hooks';
import { useLocale } from '../i18n/locale.ts';
import { copyText } from './clipboard.ts';

export function CopyButton({
  text,
  label,
  class: className = '',
}: {
  text: string;
  label?: string;
  class?: string;
}) {
  const { t } = useLocale();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => {
      setCopied(false);
    }, 1500);
    return () => {
      clearTimeout(timer);
    };
  }, [copied]);
  const onClick = () => {
    void copyText(text).then(setCopied);
  };
  return (
    <button type="button" class={`ghost ${className}`} onClick={onClick}>
      {copied ? t('copied') : (label ?? t('copy'))}
    </button>
  );
}
