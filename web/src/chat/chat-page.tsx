/**
 * The chat: the conversation list beside the thread (a drawer on narrow screens), the model
 * picker, the messages and the question box.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import { DEMO_OWNER } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { navigate } from '../route.ts';
import { Composer } from './composer.tsx';
import { ConversationList } from './conversation-list.tsx';
import { MessageItem } from './message-item.tsx';
import { ModelPicker } from './model-picker.tsx';
import { useChat } from './use-chat.ts';
import { useConversations } from './use-conversations.ts';
import { useModels } from './use-models.ts';

export interface ChatPageProps {
  readonly api: ApiClient;
  readonly conversationId: string | null;
  readonly drawerOpen: boolean;
  readonly setDrawerOpen: (open: boolean) => void;
}

export function ChatPage({ api, conversationId, drawerOpen, setDrawerOpen }: ChatPageProps) {
  const { t } = useLocale();
  const list = useConversations(api);
  const { models, model, setModel } = useModels(api);
  const chat = useChat(api, conversationId, {
    onCreated: (id) => {
      navigate({ page: 'chat', conversationId: id }, { replace: true });
      list.reload();
    },
    onSettled: list.reload,
    onModel: setModel,
    streamCutMessage: t('streamCut'),
  });
  const threadRef = useRef<HTMLDivElement>(null);
  const stickToEnd = useRef(true);

  // Follow the answer as it grows, unless the reader scrolled up to read something else.
  useEffect(() => {
    const thread = threadRef.current;
    if (thread !== null && stickToEnd.current) thread.scrollTop = thread.scrollHeight;
  }, [chat.messages]);

  const open = (id: string | null) => {
    setDrawerOpen(false);
    navigate({ page: 'chat', conversationId: id });
  };
  const demo = models.find((m) => m.id === model)?.owned_by === DEMO_OWNER;
  const last = chat.messages.at(-1);

  return (
    <div class={`chat-layout${drawerOpen ? ' drawer-open' : ''}`}>
      <aside class="sidebar" id="conversation-drawer" aria-label={t('conversations')}>
        <div class="sidebar-head">
          <button
            type="button"
            class="primary new-chat"
            onClick={() => {
              open(null);
            }}
          >
            + {t('newChat')}
          </button>
          <button
            type="button"
            class="ghost icon close-drawer"
            aria-label={t('closeMenu')}
            onClick={() => {
              setDrawerOpen(false);
            }}
          >
            ✕
          </button>
        </div>
        {list.error !== null && (
          <p class="error-text">{t('loadFailed', { message: list.error })}</p>
        )}
        <ConversationList
          conversations={list.conversations}
          activeId={conversationId}
          onOpen={open}
          onRename={(id, title) => {
            void list.rename(id, title);
          }}
          onDelete={(id) => {
            void list.remove(id).then(() => {
              if (id === conversationId) open(null);
            });
          }}
        />
      </aside>
      <div
        class="scrim"
        onClick={() => {
          setDrawerOpen(false);
        }}
      />
      <section class="thread-pane">
        <div class="thread-tools">
          <ModelPicker models={models} value={model} onChange={setModel} />
          {demo && <span class="demo-notice">{t('demoNotice')}</span>}
        </div>
        <div
          class="thread"
          ref={threadRef}
          onScroll={(event) => {
            const el = event.currentTarget;
            stickToEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          {chat.loadError !== null && (
            <p class="error-text">{t('loadFailed', { message: chat.loadError })}</p>
          )}
          {!chat.loading && chat.messages.length === 0 && chat.loadError === null && (
            <p class="muted empty-thread">{t('emptyThread')}</p>
          )}
          {chat.messages.map((message) => (
            <MessageItem
              key={message.key}
              message={message}
              onRegenerate={
                message === last &&
                message.role === 'assistant' &&
                !chat.streaming &&
                (conversationId !== null || message.refused !== null) &&
                model !== ''
                  ? () => {
                      chat.regenerate(model);
                    }
                  : null
              }
            />
          ))}
        </div>
        <Composer
          streaming={chat.streaming}
          disabled={model === ''}
          onSend={(text) => {
            stickToEnd.current = true;
            chat.send(text, model);
          }}
          onStop={chat.stop}
        />
      </section>
    </div>
  );
}
