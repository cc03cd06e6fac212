/** The caller's conversations, newest first: open, rename in place, delete after a confirm. */
import { useState } from 'preact/hooks';
import type { ConversationSummary } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { PencilIcon, TrashIcon } from '../ui/icons.tsx';

export interface ConversationListProps {
  readonly conversations: readonly ConversationSummary[];
  readonly activeId: string | null;
  readonly onOpen: (id: string) => void;
  readonly onRename: (id: string, title: string) => void;
  readonly onDelete: (id: string) => void;
}

export function ConversationList(props: ConversationListProps) {
  const { t } = useLocale();
  if (props.conversations.length === 0)
    return <p class="muted empty-list">{t('noConversations')}</p>;
  return (
    <ul class="conversation-list">
      {props.conversations.map((c) => (
        <ConversationRow key={c.id} conversation={c} {...props} />
      ))}
    </ul>
  );
}

type Mode = 'view' | 'rename' | 'confirm-delete';

function ConversationRow({
  conversation,
  activeId,
  onOpen,
  onRename,
  onDelete,
}: ConversationListProps & { conversation: ConversationSummary }) {
  const { t } = useLocale();
  const [mode, setMode] = useState<Mode>('view');
  const [title, setTitle] = useState(conversation.title);
  const active = conversation.id === activeId;

  if (mode === 'rename') {
    return (
      <li class="conversation editing">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const trimmed = title.trim();
            if (trimmed !== '') onRename(conversation.id, trimmed);
            setMode('view');
          }}
        >
          <input
            name="title"
            value={title}
            aria-label={t('renamePrompt')}
            maxLength={200}
            ref={(input) => input?.focus()}
            onInput={(event) => {
              setTitle(event.currentTarget.value);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setMode('view');
            }}
          />
          <button type="submit" class="ghost">
            {t('save')}
          </button>
        </form>
      </li>
    );
  }
  return (
    <li class={`conversation${active ? ' active' : ''}`}>
      <a
        href={`/c/${encodeURIComponent(conversation.id)}`}
        aria-current={active ? 'page' : undefined}
        onClick={(event) => {
          event.preventDefault();
          onOpen(conversation.id);
        }}
      >
        {conversation.title}
      </a>
      {mode === 'confirm-delete' ? (
        <span class="row-actions confirm">
          <button
            type="button"
            class="danger"
            onClick={() => {
              onDelete(conversation.id);
            }}
          >
            {t('delete')}
          </button>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setMode('view');
            }}
          >
            {t('cancel')}
          </button>
        </span>
      ) : (
        <span class="row-actions">
          <button
            type="button"
            class="ghost icon"
            title={t('rename')}
            aria-label={t('rename')}
            onClick={() => {
              setTitle(conversation.title);
              setMode('rename');
            }}
          >
            <PencilIcon />
          </button>
          <button
            type="button"
            class="ghost icon"
            title={t('delete')}
            aria-label={t('delete')}
            onClick={() => {
              setMode('confirm-delete');
            }}
          >
            <TrashIcon />
          </button>
        </span>
      )}
    </li>
  );
}
