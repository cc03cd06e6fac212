/**
 * The open conversation: loading it, asking, regenerating, stopping. The stream is read in its
 * own loop (each read timed by the health meter the moment it resolves); the screen is updated
 * at most once per animation frame, so a burst of tokens costs one markdown render, not fifty.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api/client.ts';
import { type ChatRequest, streamChat } from '../api/chat-stream.ts';
import type { ChatMessage, Conversation } from '../api/types.ts';
import { StreamMeter } from '../health/meter.ts';
import {
  applyEvents,
  fromStored,
  pendingAnswer,
  question,
  type ThreadMessage,
} from './thread-state.ts';

export interface ChatState {
  readonly messages: readonly ThreadMessage[];
  readonly streaming: boolean;
  readonly loading: boolean;
  readonly loadError: string | null;
  readonly send: (text: string, model: string) => void;
  readonly regenerate: (model: string) => void;
  readonly stop: () => void;
}

export interface ChatHooks {
  /** A new conversation got its id from the server (the page moves to `/c/<id>`). */
  readonly onCreated: (conversationId: string) => void;
  /** An answer ended: titles and order in the list may have changed. */
  readonly onSettled: () => void;
  /** The model a loaded conversation last used. */
  readonly onModel: (model: string) => void;
  readonly streamCutMessage: string;
}

export function useChat(
  api: ApiClient,
  conversationId: string | null,
  hooks: ChatHooks,
): ChatState {
  const [messages, setMessages] = useState<readonly ThreadMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  /**
   * The conversation the messages on screen belong to: set as soon as the server names a new
   * one, and kept after its answer ends — the move to `/c/<id>` may land after the whole answer
   * did (one read can bring it all), and must not reload the thread and lose its health readout.
   */
  const shownIn = useRef<string | null>(null);
  /** Bumped when another conversation opens: a stream of the old one must not write into it. */
  const generation = useRef(0);
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;

  useEffect(() => {
    // Moving to the conversation already on screen (a new chat got its id): keep it.
    if (conversationId !== null && conversationId === shownIn.current) return;
    shownIn.current = conversationId;
    generation.current += 1;
    abortRef.current?.abort();
    setMessages([]);
    setLoadError(null);
    if (conversationId === null) return;
    const controller = new AbortController();
    setLoading(true);
    api
      .json<Conversation>('GET', `/api/conversations/${encodeURIComponent(conversationId)}`)
      .then((conversation) => {
        if (controller.signal.aborted) return;
        setMessages(inOrder(conversation.messages).map(fromStored));
        if (conversation.model !== null) hooksRef.current.onModel(conversation.model);
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setLoadError(messageOf(error));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => {
      controller.abort();
    };
  }, [api, conversationId]);

  const run = useCallback(
    (
      request: ChatRequest,
      before: (messages: readonly ThreadMessage[]) => ThreadMessage[],
      model: string,
    ) => {
      const controller = new AbortController();
      const mine = generation.current;
      abortRef.current = controller;
      let answer = pendingAnswer(model);
      setMessages((ms) => [...before(ms), answer]);
      setStreaming(true);
      const meter = new StreamMeter(performance.now());
      let frame: number | null = null;
      const show = () => {
        frame = null;
        if (mine !== generation.current) return;
        const shown = { ...answer, health: meter.readout() };
        setMessages((ms) => [...ms.slice(0, -1), shown]);
      };
      const scheduleShow = () => {
        frame ??= requestAnimationFrame(show);
      };
      const finish = (update: Partial<ThreadMessage>) => {
        if (frame !== null) cancelAnimationFrame(frame);
        answer = { ...answer, ...update };
        show();
        setStreaming(false);
        abortRef.current = null;
        hooksRef.current.onSettled();
      };
      scheduleShow();

      streamChat(api, request, controller.signal, ({ at, events }) => {
        let deltas = 0;
        let ended = false;
        for (const event of events) {
          if (event.type === 'delta') deltas += 1;
          if (event.type === 'done' || event.type === 'error') ended = true;
          // Unless the reader has moved on to another conversation meanwhile.
          const isNew = request.conversationId === undefined && mine === generation.current;
          if (event.type === 'start' && isNew) {
            shownIn.current = event.conversation_id;
            hooksRef.current.onCreated(event.conversation_id);
          }
        }
        meter.record(at, deltas, ended);
        answer = applyEvents(answer, events);
        scheduleShow();
      }).then(
        () => {
          finish(
            answer.status === 'streaming'
              ? { status: 'error', error: hooksRef.current.streamCutMessage }
              : {},
          );
        },
        (error: unknown) => {
          if (controller.signal.aborted) finish({ status: 'stopped' });
          else
            finish({
              status: 'error',
              error: messageOf(error),
              // Refused before the stream: the server kept nothing of this request.
              refused: error instanceof ApiError ? request : null,
            });
        },
      );
    },
    [api, conversationId],
  );

  const send = useCallback(
    (text: string, model: string) => {
      run(
        { ...(conversationId === null ? {} : { conversationId }), model, message: text },
        (ms) => [...ms, question(text)],
        model,
      );
    },
    [run, conversationId],
  );

  const regenerate = useCallback(
    (model: string) => {
      const refused = messages.at(-1)?.refused;
      if (refused != null) {
        // The server kept nothing of it: asked again as it was, in place of its refusal.
        run({ ...refused, model }, (ms) => ms.slice(0, -1), model);
        return;
      }
      if (conversationId === null) return;
      // The server drops the last answer and asks its question again.
      run(
        { conversationId, model, regenerate: true },
        (ms) => (ms.at(-1)?.role === 'assistant' ? ms.slice(0, -1) : [...ms]),
        model,
      );
    },
    [run, conversationId, messages],
  );

  const stop = useCallback(() => {
    abortRef.current?.abort();
  }, []);

  useEffect(
    () => () => {
      abortRef.current?.abort();
    },
    [],
  );

  return { messages, streaming, loading, loadError, send, regenerate, stop };
}

/**
 * Questions before their answers. The server orders by creation time, in milliseconds, and a
 * question and its answer are often created in the same one; a tie then falls to the random
 * ids. Within a millisecond a question always came first.
 */
function inOrder(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages
    .map((message, index) => ({ message, index }))
    .sort(
      (a, b) =>
        a.message.created_at.localeCompare(b.message.created_at) ||
        rank(a.message) - rank(b.message) ||
        a.index - b.index,
    )
    .map(({ message }) => message);
}

const rank = (m: ChatMessage) => (m.role === 'user' ? 0 : 1);

function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) return error.message;
  return String(error);
}
