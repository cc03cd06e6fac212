/** One message of the thread: the question as typed, or the answer as markdown with its tools. */
import { memo } from 'preact/compat';
import { HealthLine } from '../health/health-readout.tsx';
import { useLocale } from '../i18n/locale.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import { MarkdownBody } from './markdown-body.tsx';
import type { ThreadMessage } from './thread-state.ts';

export interface MessageItemProps {
  readonly message: ThreadMessage;
  /** Set on the last answer when nothing streams: it can be asked again. */
  readonly onRegenerate: (() => void) | null;
}

/**
 * Rendered again only when its props change: while an answer streams the thread re-renders every
 * frame, and the messages before it stay as they are.
 */
export const MessageItem = memo(function MessageItem({ message, onRegenerate }: MessageItemProps) {
  const { t } = useLocale();
  if (message.role === 'user') {
    return (
      <article class="message user" data-role="user">
        <div class="bubble">{message.content}</div>
      </article>
    );
  }
  const streaming = message.status === 'streaming';
  return (
    <article class="message assistant" data-role="assistant" data-status={message.status}>
      {message.reasoning !== '' && (
        <details class="reasoning">
          <summary>{t('reasoning')}</summary>
          <p>{message.reasoning}</p>
        </details>
      )}
      <MarkdownBody markdown={message.content} />
      {streaming && message.content === '' && <span class="cursor" aria-hidden="true" />}
      <div class="message-foot">
        {message.status === 'stopped' && (
          <span class="badge stopped" data-testid="status-stopped">
            {t('statusStopped')}
          </span>
        )}
        {message.status === 'error' && (
          <span class="badge error" data-testid="status-error">
            {t('statusError')}
          </span>
        )}
        {streaming && <span class="badge streaming">{t('statusStreaming')}</span>}
        {message.model !== null && <span class="model-name">{message.model}</span>}
        <span class="spacer" />
        {!streaming && message.content !== '' && (
          <CopyButton text={message.content} class="copy-answer" />
        )}
        {onRegenerate !== null && (
          <button type="button" class="ghost" onClick={onRegenerate}>
            {t('regenerate')}
          </button>
        )}
      </div>
      {message.error !== null && <p class="error-text">{message.error}</p>}
      {message.health !== null && <HealthLine health={message.health} streaming={streaming} />}
    </article>
  );
});
