/** An error line under a form or panel, announced to screen readers; nothing when there is none. */
export function ErrorText({ text }: { text: string | null }) {
  return text === null ? null : (
    <p class="error-text" role="alert">
      {text}
    </p>
  );
}
