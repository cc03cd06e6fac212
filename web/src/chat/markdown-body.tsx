/**
 * An answer's rendered markdown. While it streams, each frame renders and sanitises only what
 * changed (markdown-view.ts); the code blocks' copy buttons are handled here by delegation,
 * since they live inside that HTML.
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import { useLocale } from '../i18n/locale.ts';
import { MarkdownView } from '../markdown/markdown-view.ts';
import { copyText } from '../ui/clipboard.ts';

export function MarkdownBody({ markdown }: { markdown: string }) {
  const { t } = useLocale();
  const copyLabel = t('copy');
  const element = useRef<HTMLDivElement>(null);
  const view = useRef<{ view: MarkdownView; copyLabel: string } | null>(null);
  // Before the browser paints, so a frame never shows the answer without its newest text.
  useLayoutEffect(() => {
    if (element.current === null) return;
    if (view.current?.copyLabel !== copyLabel)
      view.current = { view: new MarkdownView(element.current, copyLabel), copyLabel };
    view.current.view.show(markdown);
  }, [markdown, copyLabel]);
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
  // The view owns the element's children; Preact renders none into it.
  return <div class="markdown" ref={element} onClick={onClick} />;
}
