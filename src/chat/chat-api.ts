/**
 * The chat service under `/api`: sign-in (and first-run setup), the caller's conversations, the
 * models, and `POST /api/chat`, which streams an answer. A user sees only their own
 * conversations; another user's id is answered as if it did not exist.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { Agent } from 'undici';
import {
  type Accounts,
  internalCredential,
  type LoginThrottle,
  type Principal,
  type Sessions,
  userOf,
  type WebAuth,
} from '../accounts/index.ts';
import {
  AccountDisabledError,
  AuthenticationError,
  ConversationNotFoundError,
  InvalidFieldError,
  InvalidRequestError,
  NoUserError,
  SetupDoneError,
  SetupHostError,
} from '../errors/index.ts';
import { checkModelName } from '../gateway/index.ts';
import { parseJsonObject, readBody, Router, sendJson } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import type { Conversation, Message, Store, User } from '../store/types.ts';
import { streamAnswer } from './answer.ts';
import { conversationView, messageView, sessionUserView } from './views.ts';
import { wireFor } from './wire.ts';

export interface ChatApiOptions {
  readonly store: Store;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly auth: WebAuth;
  readonly throttle: LoginThrottle;
  /** The gateway of this process, known once it listens. */
  readonly gateway: () => URL;
  readonly internalSecret: string;
  readonly clientIp: (req: IncomingMessage) => string | null;
  readonly log: Logger;
  /** Shown on the page: which API families only have the demo model. */
  readonly demo: readonly string[];
}

interface Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Record<string, string>;
  readonly ip: string | null;
}

type Handler = (call: Call) => Promise<Record<string, unknown> | undefined>;

const MAX_BODY = 1024 * 1024;
/** A conversation's title is a line in a list: longer ones are cut. */
const MAX_TITLE = 200;

export class ChatApi {
  readonly #o: ChatApiOptions;
  readonly #dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  readonly #router: Router<Handler>;

  constructor(options: ChatApiOptions) {
    this.#o = options;
    this.#router = new Router<Handler>(
      '/api',
      [
        { path: 'session', methods: { GET: (c) => this.#session(c) } },
        { path: 'setup', methods: { POST: (c) => this.#setup(c) } },
        { path: 'login', methods: { POST: (c) => this.#login(c) } },
        { path: 'logout', methods: { POST: (c) => this.#logout(c) } },
        { path: 'models', methods: { GET: (c) => this.#models(c) } },
        {
          path: 'conversations',
          methods: { GET: (c) => this.#list(c), POST: (c) => this.#create(c) },
        },
        {
          path: 'conversations/:id',
          methods: {
            GET: (c) => this.#get(c),
            PATCH: (c) => this.#rename(c),
            DELETE: (c) => this.#delete(c),
          },
        },
        { path: 'chat', methods: { POST: (c) => this.#chat(c) } },
      ],
      'API URL',
    );
  }

  /** Answers one `/api` request; returns fields for its log line. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<Record<string, unknown>> {
    const { handler, params } = this.#router.find(req.method ?? 'GET', url.pathname);
    return (await handler({ req, res, params, ip: this.#o.clientIp(req) })) ?? {};
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }

  async #session({ req, res }: Call) {
    const identity = await this.#o.auth.optional(req).catch(() => undefined);
    const user = userOf(identity?.principal);
    sendJson(res, 200, {
      user: user === undefined ? null : sessionUserView(user),
      csrf_token: identity?.session?.csrf ?? this.#o.auth.preSessionToken(req, res),
      setup_required: (await this.#o.store.countUsers()) === 0,
      demo: this.#o.demo,
    });
    return { user: user?.username };
  }

  async #setup({ req, res, ip }: Call) {
    checkSetupHost(req.headers.host);
    this.#o.auth.checkPreSession(req);
    const body = await jsonBody(req);
    if ((await this.#o.store.countUsers()) > 0) throw new SetupDoneError();
    const user = await this.#o.accounts.addUser({
      username: stringField(body, 'username'),
      password: stringField(body, 'password'),
      role: 'admin',
      onlyFirst: true,
    });
    const session = await this.#o.sessions.start(user, req, res, ip);
    sendJson(res, 201, { user: sessionUserView(user), csrf_token: session.csrf });
    return { user: user.username };
  }

  async #login({ req, res, ip }: Call) {
    this.#o.auth.checkPreSession(req);
    const body = await jsonBody(req);
    const username = stringField(body, 'username');
    const attempt = await this.#o.throttle.check(username, ip); // a failure until it succeeds
    const user = await this.#o.accounts.checkPassword(username, stringField(body, 'password'));
    if (user === undefined) {
      this.#o.log.warn('sign-in failed', { user: username, ip });
      throw new AuthenticationError('Wrong username or password.');
    }
    await attempt.succeeded();
    if (user.disabled) throw new AccountDisabledError(user.username);
    const session = await this.#o.sessions.start(user, req, res, ip);
    sendJson(res, 200, { user: sessionUserView(user), csrf_token: session.csrf });
    return { user: user.username };
  }

  async #logout({ req, res }: Call) {
    const identity = await this.#o.auth.identify(req);
    if (identity.session !== undefined) await this.#o.sessions.end(identity.session, req, res);
    res.writeHead(204).end();
    return { user: userOf(identity.principal)?.username };
  }

  async #models({ req, res }: Call) {
    const { principal } = await this.#o.auth.identify(req);
    const response = await fetch(new URL('/v1/models', this.#o.gateway()), {
      headers: this.#gatewayHeaders(principal, req),
    });
    sendJson(res, response.status, await response.json());
    return undefined;
  }

  async #list({ req, res }: Call) {
    const user = await this.#user(req);
    sendJson(res, 200, {
      data: (await this.#o.store.listConversations(user.id)).map(conversationView),
    });
    return { user: user.username };
  }

  async #create({ req, res }: Call) {
    const user = await this.#user(req);
    const body = await jsonBody(req);
    const model = optionalString(body, 'model');
    const conversation = await this.#o.store.createConversation({
      userId: user.id,
      title: (optionalString(body, 'title') ?? 'New chat').slice(0, MAX_TITLE),
      model: model === undefined ? null : checkedModel(model),
    });
    sendJson(res, 201, conversationView(conversation));
    return { user: user.username };
  }

  async #get({ req, res, params }: Call) {
    const user = await this.#user(req);
    const conversation = await this.#own(user, params.id);
    const messages = await this.#o.store.listMessages(conversation.id);
    sendJson(res, 200, { ...conversationView(conversation), messages: messages.map(messageView) });
    return { user: user.username };
  }

  async #rename({ req, res, params }: Call) {
    const user = await this.#user(req);
    const conversation = await this.#own(user, params.id);
    const title = stringField(await jsonBody(req), 'title').slice(0, MAX_TITLE);
    sendJson(
      res,
      200,
      conversationView(
        (await this.#o.store.updateConversation(conversation.id, { title })) ?? conversation,
      ),
    );
    return { user: user.username };
  }

  async #delete({ req, res, params }: Call) {
    const user = await this.#user(req);
    const conversation = await this.#own(user, params.id);
    await this.#o.store.deleteConversation(conversation.id);
    res.writeHead(204).end();
    return { user: user.username };
  }

  /**
   * Streams an answer: `{conversationId?, model, message}` asks; `{conversationId, model,
   * regenerate: true}` asks the last question again in place of the last answer.
   */
  async #chat({ req, res, ip }: Call) {
    const identity = await this.#o.auth.identify(req);
    const user = userWithConversations(identity.principal);
    const body = await jsonBody(req);
    const model = checkedModel(stringField(body, 'model'));
    const regenerate = body.regenerate === true;
    const id = optionalString(body, 'conversationId');
    const { store } = this.#o;
    let conversation = id === undefined ? undefined : await this.#own(user, id);
    const created = conversation === undefined;
    let question: Message | undefined;
    if (regenerate) {
      if (conversation === undefined)
        throw new InvalidRequestError('regenerate needs a conversationId.', {
          param: 'conversationId',
        });
      const last = (await store.listMessages(conversation.id)).at(-1);
      if (last?.role === 'assistant') await store.deleteMessage(last.id);
    } else {
      const message = stringField(body, 'message');
      conversation ??= await store.createConversation({
        userId: user.id,
        title: titleFrom(message),
        model,
      });
      question = await store.addMessage({
        conversationId: conversation.id,
        role: 'user',
        content: message,
        status: 'complete',
        model: null,
      });
    }
    if (conversation.model !== model) await store.updateConversation(conversation.id, { model });
    const history = (await store.listMessages(conversation.id))
      .filter((m) => m.content !== '' && m.status !== 'error')
      .map((m) => ({ role: m.role, content: m.content }));
    if (history.at(-1)?.role !== 'user')
      throw new InvalidRequestError('There is no question to answer.');
    const answer = await store.addMessage({
      conversationId: conversation.id,
      role: 'assistant',
      content: '',
      status: 'streaming',
      model,
    });

    this.#o.log.info('chat start', {
      user: user.username,
      ip,
      conversation: conversation.id,
      model,
    });
    const started = Date.now();
    const conversationId = conversation.id;
    const result = await streamAnswer({
      res,
      wire: wireFor(req),
      conversationId,
      store,
      dispatcher: this.#dispatcher,
      gateway: this.#o.gateway(),
      headers: this.#gatewayHeaders(identity.principal, req),
      model,
      history,
      answer,
      log: this.#o.log,
    }).catch(async (refusal: unknown) => {
      if (res.headersSent) throw refusal;
      // Refused before the answer began (a limit, a budget, the model's own 400): nothing of
      // this request is kept, or a refused user could go on writing to the store. The page
      // still shows the question, with the refusal.
      if (created) await store.deleteConversation(conversationId);
      else {
        await store.deleteMessage(answer.id);
        if (question !== undefined) await store.deleteMessage(question.id);
      }
      throw refusal;
    });
    this.#o.log.info('chat end', {
      user: user.username,
      ip,
      conversation: conversation.id,
      model,
      status: result.status,
      ms: Date.now() - started,
      ttft_ms: result.ttftMs === null ? null : Math.round(result.ttftMs),
      chars: result.chars,
    });
    return { user: user.username, conversation: conversation.id };
  }

  /** How the chat service speaks to its gateway for this caller, with the caller's address. */
  #gatewayHeaders(principal: Principal, req: IncomingMessage): Record<string, string> {
    const user = userWithConversations(principal);
    const keyId = principal.kind === 'key' ? principal.key.id : undefined;
    const ip = this.#o.clientIp(req);
    return {
      authorization: `Bearer ${internalCredential(this.#o.internalSecret, user.id, keyId)}`,
      ...(ip === null ? {} : { 'x-sluice-client-ip': ip }),
    };
  }

  async #user(req: IncomingMessage): Promise<User> {
    return userWithConversations((await this.#o.auth.identify(req)).principal);
  }

  /** The conversation if it is the user's; someone else's is answered as missing. */
  async #own(user: User, id: string | undefined): Promise<Conversation> {
    const conversation = id === undefined ? undefined : await this.#o.store.getConversation(id);
    if (conversation === undefined || conversation.userId !== user.id) {
      throw new ConversationNotFoundError(id ?? '');
    }
    return conversation;
  }
}

/** Conversations belong to users; the bootstrap key has no user. */
function userWithConversations(principal: Principal): User {
  const user = userOf(principal);
  if (user === undefined) throw new NoUserError();
  return user;
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(req, MAX_BODY));
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidFieldError(name, `"${name}" is required and must be a non-empty string.`);
  }
  return value;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  return body[name] === undefined || body[name] === null ? undefined : stringField(body, name);
}

/**
 * A model name is stored with the conversation and written to the log before the gateway sees
 * it: refused here as the gateway would refuse it, not kept at whatever length it came.
 */
function checkedModel(model: string): string {
  checkModelName(model);
  return model;
}

function titleFrom(message: string): string {
  const line = message.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

/**
 * First-run setup only where no web page can have sent the browser: a `Host` that is an IP
 * address or localhost. A page's own DNS name, rebound to this server, would pass every
 * same-origin check (its Origin and Host agree) and take the admin account first.
 */
function checkSetupHost(host: string | undefined): void {
  const name = (host ?? '')
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return;
  throw new SetupHostError(host ?? '');
}
