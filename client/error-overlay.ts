/**
 * Dev: the error, where it happened and the code around it, over the page, until dismissed
 * (the element then fires `dismiss`).
 */
export function showErrorOverlay(message: string, detail = ''): void {
  const host = document.createElement('pagewire-error-overlay');
  // A shadow root: the page's styles do not reach the overlay, nor its styles the page.
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>
    .box { position: fixed; inset: 1rem 1rem auto 1rem; max-height: 80vh; overflow: auto; z-index: 2147483647;
      background: #fff; color: #222; border-top: 4px solid #d33; box-shadow: 0 4px 24px #0004; padding: 1rem 1.2rem;
      font: 14px/1.5 system-ui, sans-serif; }
    h2 { margin: 0 2rem .5rem 0; font-size: 1rem; color: #b00; }
    pre { margin: 0; font: 12px/1.45 ui-monospace, monospace; white-space: pre-wrap; }
    button { position: absolute; top: .5rem; right: .6rem; font: inherit; border: 0; background: none;
      cursor: pointer; font-size: 1.3rem; }
    .after:empty { display: none; }
    .after { margin: .6rem 0 0; color: #555; }
  </style><div class="box" role="alert"><button title="Dismiss" aria-label="Dismiss">×</button>
    <h2></h2><pre></pre><p class="after"></p></div>`;
  (root.querySelector('h2') as HTMLElement).textContent = message;
  (root.querySelector('pre') as HTMLElement).textContent = detail;
  (root.querySelector('button') as HTMLElement).onclick = () => {
    host.remove();
    host.dispatchEvent(new Event('dismiss'));
  };
  document.documentElement.append(host);
}
