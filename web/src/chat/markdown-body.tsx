/**
 * An answer's rendered markdown. The HTML is sanitised by renderMarkdown on every render; the
 * code blocks' copy buttons are handled here by delegation, since they live inside that HTML.
 */
import { useMemo } from 'preact/hooks';
import { useLocale } from '../i18n/locale.ts';
import { renderMarkdown } from '../markdown/render.ts';
import { copyText } from '../ui/clipboard.ts';

export function MarkdownBody({ markdown }: { markdown: string }) {
  const { t } = useLocale();
  const copyLabel = t('copy');
  const html = useMemo(() => renderMarkdown(markdown, copyLabel), [markdown, copyLabel]);
  const onClick = (event: MouseEvent) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const button = target.closest('button.copy-code');
    const code = button?.closest('.code-block')?.querySelector('code');
    if (button === null || code === null || code === undefined) return;
    void copyText(code.textContent).then((ok) => {
      if (!ok) return;
      button.textContent = t('copied');
      setTimeout(() => {
        button.textContent = copyLabel;
      }, 1500);
    });
  };
  return <div class="markdown" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />;
}
