/**
 * Images and PDFs between the two prompt formats. OpenAI takes an image as a URL (`https:` or a
 * base64 `data:` URL) and a PDF as a `file` part with `file_data`; Anthropic takes the same
 * bytes as a `source` of type `base64` or `url`. File ids of either provider mean nothing to
 * the other and are refused, as are `data:` URLs that are not base64.
 */
import { type JsonObject, asString, isObject, untranslatable } from './json.ts';

interface DataUrl {
  readonly mediaType: string;
  readonly data: string;
}

/** `data:<media type>;base64,<data>`, read with indexOf: images run to megabytes. */
function parseDataUrl(url: string): DataUrl | undefined {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma === -1) return undefined;
  const header = url.slice(5, comma);
  if (!header.endsWith(';base64')) return undefined;
  return { mediaType: header.slice(0, -';base64'.length), data: url.slice(comma + 1) };
}

const dataUrl = (mediaType: string, data: string) => `data:${mediaType};base64,${data}`;

/** An OpenAI `image_url` part as an Anthropic `image` block (`detail` has no equivalent). */
export function chatImageToAnthropic(part: JsonObject, param: string): JsonObject {
  const url = isObject(part.image_url) ? asString(part.image_url.url) : undefined;
  if (url === undefined) throw untranslatable(`${param}.image_url`, 'it has no url.');
  const inline = parseDataUrl(url);
  if (inline !== undefined) {
    return {
      type: 'image',
      source: { type: 'base64', media_type: inline.mediaType, data: inline.data },
    };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw untranslatable(
    `${param}.image_url.url`,
    'Anthropic takes an image as a base64 data: URL or an http(s) URL.',
  );
}

/** An OpenAI `file` part holding a PDF as an Anthropic `document` block. */
export function chatFileToAnthropic(part: JsonObject, param: string): JsonObject {
  const file = isObject(part.file) ? part.file : {};
  const inline = parseDataUrl(asString(file.file_data) ?? '');
  if (inline?.mediaType !== 'application/pdf') {
    throw untranslatable(
      `${param}.file`,
      'only a PDF given inline as file_data (data:application/pdf;base64,…) can go to Anthropic; a file_id is OpenAI’s own.',
    );
  }
  const title = asString(file.filename);
  return {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: inline.data },
    ...(title === undefined ? {} : { title }),
  };
}

/** An Anthropic `image` block as an OpenAI `image_url` part. */
export function anthropicImageToChat(block: JsonObject, param: string): JsonObject {
  const source = isObject(block.source) ? block.source : {};
  if (source.type === 'base64') {
    const mediaType = asString(source.media_type);
    const data = asString(source.data);
    if (mediaType !== undefined && data !== undefined) {
      return { type: 'image_url', image_url: { url: dataUrl(mediaType, data) } };
    }
  }
  const url = asString(source.url);
  if (source.type === 'url' && url !== undefined) return { type: 'image_url', image_url: { url } };
  throw untranslatable(
    `${param}.source`,
    'only base64 and url image sources can go to an OpenAI-compatible model; a file_id is Anthropic’s own.',
  );
}

/** An Anthropic `document` block holding a base64 PDF as an OpenAI `file` part. */
export function anthropicDocumentToChat(block: JsonObject, param: string): JsonObject {
  if (isObject(block.citations) && block.citations.enabled === true) {
    throw untranslatable(`${param}.citations`, 'OpenAI-compatible models do not cite documents.');
  }
  if (asString(block.context) !== undefined) {
    throw untranslatable(`${param}.context`, 'an OpenAI file part has no context field.');
  }
  const source = isObject(block.source) ? block.source : {};
  const data = asString(source.data);
  if (source.type !== 'base64' || source.media_type !== 'application/pdf' || data === undefined) {
    throw untranslatable(
      `${param}.source`,
      'only a base64 PDF document can go to an OpenAI-compatible model.',
    );
  }
  return {
    type: 'file',
    file: {
      filename: asString(block.title) ?? 'document.pdf',
      file_data: dataUrl('application/pdf', data),
    },
  };
}
