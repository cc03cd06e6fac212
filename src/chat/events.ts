/**
 * The events of `POST /api/chat`, in both wire formats (wire.ts). No imports: the web page
 * (web/src/api/types.ts) uses this very type, so server and page cannot drift apart.
 */
export type ChatEvent =
  | {
      readonly type: 'start';
      readonly conversation_id: string;
      readonly message_id: string;
      readonly model: string;
    }
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | {
      readonly type: 'done';
      readonly finish_reason: string | null;
      readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number } | null;
      readonly request_id: string | null;
    }
  | { readonly type: 'error'; readonly error: { readonly message: string; readonly code: string } };
