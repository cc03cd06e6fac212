/** The question box: Enter sends, Shift+Enter breaks the line; while streaming, Send becomes Stop. */
import { useState } from 'preact/hooks';
import { useLocale } from '../i18n/locale.ts';

export interface ComposerProps {
  readonly streaming: boolean;
  readonly disabled: boolean;
  readonly onSend: (text: string) => void;
  readonly onStop: () => void;
}

export function Composer({ streaming, disabled, onSend, onStop }: ComposerProps) {
  const { t } = useLocale();
  const [text, setText] = useState('');
  const submit = () => {
    const trimmed = text.trim();
    if (trimmed === '' || streaming || disabled) return;
    onSend(trimmed);
    setText('');
  };
  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <textarea
        name="message"
        rows={2}
        value={text}
        placeholder={t('messagePlaceholder')}
        aria-label={t('messagePlaceholder')}
        onInput={(event) => {
          setText(event.currentTarget.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            // isComposing: Enter also confirms a Chinese IME candidate; that must not send.
            event.preventDefault();
            submit();
          }
        }}
      />
      {streaming ? (
        <button type="button" class="stop" onClick={onStop}>
          {t('stop')}
        </button>
      ) : (
        <button type="submit" class="primary send" disabled={disabled || text.trim() === ''}>
          {t('send')}
        </button>
      )}
    </form>
  );
}
