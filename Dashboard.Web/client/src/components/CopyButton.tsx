import { useState } from 'react';

/** Copies a secret shown once (a key, a signing secret) to the clipboard and says so. */
export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      // The clipboard API needs a secure context (https or localhost); elsewhere the user selects the text.
      setCopied('failed');
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void copy()}>
        {copied === 'yes' ? 'Copied' : 'Copy'}
      </button>
      <span className="visually-hidden" role="status">
        {copied === 'yes' ? 'Copied to the clipboard' : copied === 'failed' ? 'Copying is not allowed here: select the text instead' : ''}
      </span>
    </>
  );
}
