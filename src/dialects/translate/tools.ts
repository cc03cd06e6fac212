/**
 * Tool definitions and `tool_choice` between the two APIs. OpenAI's `function` tools are
 * Anthropic's custom tools (`parameters` ⇄ `input_schema`); Anthropic's own tools (web search,
 * bash, computer use, …) run on Anthropic's side or need Claude's training, and OpenAI's
 * `custom` (grammar) tools have no Anthropic form: both are refused.
 *
 * `tool_choice`: auto ⇄ auto, none ⇄ none, required ⇄ any, a named function ⇄ a named tool;
 * `parallel_tool_calls: false` ⇄ `disable_parallel_tool_use: true`.
 */
import {
  type JsonObject,
  arrayAt,
  asString,
  isObject,
  isUnset,
  objectAt,
  stringAt,
  untranslatable,
} from './json.ts';

export function chatToolsToAnthropic(tools: unknown): JsonObject[] {
  return arrayAt(tools, 'tools').map((value, i) => {
    const param = `tools[${i}]`;
    const tool = objectAt(value, param);
    if (tool.type !== 'function') {
      throw untranslatable(`${param}.type`, 'Anthropic takes only function tools.');
    }
    const fn = objectAt(tool.function, `${param}.function`);
    const out: JsonObject = {
      name: stringAt(fn.name, `${param}.function.name`),
      input_schema: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
    const description = asString(fn.description);
    if (description !== undefined) out.description = description;
    if (typeof fn.strict === 'boolean') out.strict = fn.strict;
    return out;
  });
}

/** Tool fields that change nothing the model sees: caching and streaming granularity. */
const IGNORED_TOOL_FIELDS = new Set(['cache_control', 'eager_input_streaming']);
const TOOL_FIELDS = new Set(['name', 'description', 'input_schema', 'strict', 'type']);

export function anthropicToolsToChat(tools: unknown): JsonObject[] {
  return arrayAt(tools, 'tools').map((value, i) => {
    const param = `tools[${i}]`;
    const tool = objectAt(value, param);
    if (!isUnset(tool.type) && tool.type !== 'custom') {
      throw untranslatable(
        `${param}.type`,
        `${JSON.stringify(tool.type)} is one of Anthropic's own tools; an OpenAI-compatible model has only function tools.`,
      );
    }
    for (const [key, field] of Object.entries(tool)) {
      if (!TOOL_FIELDS.has(key) && !IGNORED_TOOL_FIELDS.has(key) && !isUnset(field)) {
        throw untranslatable(`${param}.${key}`, 'OpenAI function tools have no such field.');
      }
    }
    const fn: JsonObject = {
      name: stringAt(tool.name, `${param}.name`),
      parameters: objectAt(tool.input_schema, `${param}.input_schema`),
    };
    const description = asString(tool.description);
    if (description !== undefined) fn.description = description;
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    return { type: 'function', function: fn };
  });
}

/** Anthropic's `tool_choice`, or undefined to leave it to Anthropic's default (auto). */
export function chatToolChoiceToAnthropic(
  choice: unknown,
  parallelToolCalls: unknown,
): JsonObject | undefined {
  const serial = parallelToolCalls === false;
  const base = baseChoice(choice);
  if (base === undefined) return serial ? { type: 'auto', disable_parallel_tool_use: true } : base;
  return serial && base.type !== 'none' ? { ...base, disable_parallel_tool_use: true } : base;
}

function baseChoice(choice: unknown): JsonObject | undefined {
  if (isUnset(choice)) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (isObject(choice) && choice.type === 'function') {
    const fn = objectAt(choice.function, 'tool_choice.function');
    return { type: 'tool', name: stringAt(fn.name, 'tool_choice.function.name') };
  }
  throw untranslatable(
    'tool_choice',
    'Anthropic takes auto, none, required or one named function.',
  );
}

/** OpenAI's `tool_choice` and `parallel_tool_calls` for an Anthropic `tool_choice`. */
export function anthropicToolChoiceToChat(choice: unknown): JsonObject {
  if (isUnset(choice)) return {};
  const c = objectAt(choice, 'tool_choice');
  const serial = c.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (c.type) {
    case 'auto':
      return { tool_choice: 'auto', ...serial };
    case 'any':
      return { tool_choice: 'required', ...serial };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      return {
        tool_choice: {
          type: 'function',
          function: { name: stringAt(c.name, 'tool_choice.name') },
        },
        ...serial,
      };
    default:
      throw untranslatable('tool_choice.type', 'expected auto, any, none or tool.');
  }
}

/**
 * Anthropic requires tool_use ids to match `^[a-zA-Z0-9_-]+$`; some OpenAI-compatible servers
 * mint ids like `functions.get_weather:0`. The same id always maps the same way, so a call and
 * its result stay paired.
 */
export function anthropicToolId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}
