/**
 * Amazon Bedrock's Converse API, which serves every Bedrock model that is not Claude (Llama,
 * Mistral, Nova, DeepSeek, gpt-oss …) in one shape: an Anthropic Messages request turned into a
 * Converse request, and a Converse answer back into a Messages answer. Claude keeps Anthropic's
 * own shape on Bedrock (`invoke`); this is for the others, so that a Claude-speaking or
 * (translated) OpenAI-speaking client reaches them too. What Converse cannot carry is a 400 that
 * names the field.
 */
import { count } from '../usage.ts';
import {
  arrayAt,
  asString,
  isObject,
  isUnset,
  type JsonObject,
  objectAt,
  stringAt,
  untranslatable,
} from './json.ts';

/** Messages fields that have no place in Converse and change nothing of the answer. */
const DROPPED = new Set([
  'model',
  'stream',
  'metadata',
  'service_tier',
  'anthropic_version',
  'anthropic_beta',
]);
/** Messages fields that have a place in Converse. */
const CARRIED = new Set([
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'stop_sequences',
  'top_k',
  'thinking',
  'tools',
  'tool_choice',
]);
const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);

/** The Converse body for a Messages body (its model and `stream` go in the path). */
export function messagesRequestToConverse(body: JsonObject): JsonObject {
  const out: JsonObject = {
    messages: arrayAt(body.messages, 'messages').map((m, i) => message(m, `messages[${i}]`)),
  };
  const system = body.system;
  if (typeof system === 'string') out.system = system === '' ? [] : [{ text: system }];
  else if (!isUnset(system))
    out.system = arrayAt(system, 'system').map((block, i) => {
      const b = objectAt(block, `system[${i}]`);
      if (b.type !== 'text') throw untranslatable(`system[${i}].type`, 'only text blocks.');
      return { text: stringAt(b.text, `system[${i}].text`) };
    });
  const inference: JsonObject = {};
  if (!isUnset(body.max_tokens)) inference.maxTokens = body.max_tokens;
  if (!isUnset(body.temperature)) inference.temperature = body.temperature;
  if (!isUnset(body.top_p)) inference.topP = body.top_p;
  if (!isUnset(body.stop_sequences)) inference.stopSequences = body.stop_sequences;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;
  const extra: JsonObject = {};
  if (!isUnset(body.top_k)) extra.top_k = body.top_k;
  if (!isUnset(body.thinking)) extra.thinking = body.thinking;
  if (Object.keys(extra).length > 0) out.additionalModelRequestFields = extra;
  const tools = toolConfig(body.tools, body.tool_choice);
  if (tools !== undefined) out.toolConfig = tools;
  for (const key of Object.keys(body))
    if (!DROPPED.has(key) && !CARRIED.has(key))
      throw untranslatable(key, 'Bedrock’s Converse API has no such field.');
  return out;
}

function message(value: unknown, param: string): JsonObject {
  const m = objectAt(value, param);
  const role = m.role;
  if (role !== 'user' && role !== 'assistant')
    throw untranslatable(`${param}.role`, 'expected user or assistant.');
  const content =
    typeof m.content === 'string'
      ? [{ text: m.content }]
      : arrayAt(m.content, `${param}.content`).map((b, j) =>
          contentBlock(b, `${param}.content[${j}]`),
        );
  return { role, content };
}

function contentBlock(value: unknown, param: string): JsonObject {
  const b = objectAt(value, param);
  switch (b.type) {
    case 'text':
      return { text: stringAt(b.text, `${param}.text`) };
    case 'image':
      return { image: image(b.source, `${param}.source`) };
    case 'tool_use':
      return {
        toolUse: {
          toolUseId: stringAt(b.id, `${param}.id`),
          name: stringAt(b.name, `${param}.name`),
          input: isObject(b.input) ? b.input : {},
        },
      };
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: stringAt(b.tool_use_id, `${param}.tool_use_id`),
          content:
            typeof b.content === 'string'
              ? [{ text: b.content }]
              : isUnset(b.content)
                ? []
                : arrayAt(b.content, `${param}.content`).map((c, k) =>
                    resultPart(c, `${param}.content[${k}]`),
                  ),
          status: b.is_error === true ? 'error' : 'success',
        },
      };
    case 'thinking':
      return {
        reasoningContent: {
          reasoningText: {
            text: stringAt(b.thinking, `${param}.thinking`),
            ...(typeof b.signature === 'string' ? { signature: b.signature } : {}),
          },
        },
      };
    case 'redacted_thinking':
      return { reasoningContent: { redactedContent: stringAt(b.data, `${param}.data`) } };
    default:
      throw untranslatable(
        `${param}.type`,
        `Bedrock’s Converse API takes text, images, tool use and results, and reasoning, not ${JSON.stringify(b.type)}.`,
      );
  }
}

function resultPart(value: unknown, param: string): JsonObject {
  const c = objectAt(value, param);
  if (c.type === 'text') return { text: stringAt(c.text, `${param}.text`) };
  if (c.type === 'image') return { image: image(c.source, `${param}.source`) };
  throw untranslatable(`${param}.type`, 'a tool result holds text or images here.');
}

/** Converse takes an image's bytes (base64 in JSON) and its format, never a URL. */
function image(value: unknown, param: string): JsonObject {
  const source = objectAt(value, param);
  if (source.type !== 'base64')
    throw untranslatable(`${param}.type`, 'Bedrock takes images as bytes, not by URL.');
  const format = stringAt(source.media_type, `${param}.media_type`).replace(/^image\//, '');
  if (!IMAGE_FORMATS.has(format))
    throw untranslatable(`${param}.media_type`, 'Bedrock takes png, jpeg, gif or webp.');
  return { format, source: { bytes: stringAt(source.data, `${param}.data`) } };
}

function toolConfig(tools: unknown, choice: unknown): JsonObject | undefined {
  if (isUnset(tools)) return undefined;
  const specs = arrayAt(tools, 'tools').map((t, i) => {
    const tool = objectAt(t, `tools[${i}]`);
    if (tool.type !== undefined && tool.type !== 'custom')
      throw untranslatable(
        `tools[${i}].type`,
        `${JSON.stringify(tool.type)} is a tool Anthropic runs; Bedrock’s other models have none.`,
      );
    return {
      toolSpec: {
        name: stringAt(tool.name, `tools[${i}].name`),
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        inputSchema: { json: objectAt(tool.input_schema, `tools[${i}].input_schema`) },
      },
    };
  });
  if (specs.length === 0) return undefined;
  const c = isUnset(choice) ? { type: 'auto' } : objectAt(choice, 'tool_choice');
  switch (c.type) {
    case 'auto':
      return { tools: specs, toolChoice: { auto: {} } };
    case 'any':
      return { tools: specs, toolChoice: { any: {} } };
    case 'tool':
      return { tools: specs, toolChoice: { tool: { name: stringAt(c.name, 'tool_choice.name') } } };
    case 'none':
      // Converse has no "none": without the tools, no tool can be called.
      return undefined;
    default:
      throw untranslatable('tool_choice.type', 'expected auto, any, tool or none.');
  }
}

/** Converse's stop reasons as Anthropic's. */
export function converseStopReason(reason: unknown): string {
  switch (reason) {
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
    case 'model_context_window_exceeded':
      return reason;
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Converse's usage as Anthropic's. */
export function converseUsage(usage: unknown): JsonObject {
  const u = isObject(usage) ? usage : {};
  // Counts as any provider's are read (`count`): whole, not negative, bounded.
  const out: JsonObject = {
    input_tokens: count(u.inputTokens),
    output_tokens: count(u.outputTokens),
  };
  if (u.cacheReadInputTokens !== undefined)
    out.cache_read_input_tokens = count(u.cacheReadInputTokens);
  if (u.cacheWriteInputTokens !== undefined)
    out.cache_creation_input_tokens = count(u.cacheWriteInputTokens);
  return out;
}

/** A whole Converse answer as Anthropic's Messages answer. */
export function converseResponseToMessages(
  body: JsonObject,
  model: string,
  id: string,
): JsonObject {
  const output = isObject(body.output) ? body.output : {};
  const said = isObject(output.message) ? output.message : {};
  const blocks = Array.isArray(said.content) ? said.content : [];
  const content: JsonObject[] = [];
  for (const block of blocks) {
    if (!isObject(block)) continue;
    const text = asString(block.text);
    if (text !== undefined) content.push({ type: 'text', text });
    const tool = isObject(block.toolUse) ? block.toolUse : undefined;
    if (tool !== undefined)
      content.push({
        type: 'tool_use',
        id: asString(tool.toolUseId) ?? '',
        name: asString(tool.name) ?? '',
        input: isObject(tool.input) ? tool.input : {},
      });
    const reasoning = isObject(block.reasoningContent) ? block.reasoningContent : undefined;
    const reasoned = isObject(reasoning?.reasoningText) ? reasoning.reasoningText : undefined;
    if (reasoned !== undefined)
      content.push({
        type: 'thinking',
        thinking: asString(reasoned.text) ?? '',
        signature: asString(reasoned.signature) ?? '',
      });
  }
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: converseStopReason(body.stopReason),
    stop_sequence: null,
    usage: converseUsage(body.usage),
  };
}
