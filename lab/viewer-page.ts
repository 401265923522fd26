/**
 * The lab's stand-in for a web viewer node (served over HTTPS or HTTP by the stand-in server): every GET or HEAD
 * answers 200 with a small page naming the real server, so a browser or `curl` through the lab VIP shows which
 * server answered; the page holds the check's `expect` text, so the controller's http/https check passes (as written: the check looks for the text itself).
 */
import type { RequestListener } from 'node:http';

/** The request handler of a viewer node `name`; `expect` (the check's body substring) is put in the page. */
export function viewerPage(name: string, expect: string | undefined): RequestListener {
  const page = `<!doctype html><html><head><title>medlb lab viewer ${escapeHtml(name)}</title></head><body>` + `<p>medlb lab viewer ${escapeHtml(name)}: ready</p>${expect !== undefined ? `<p>${expect}</p>` : ''}</body></html>\n`;
  return (request, response) => {
    request.resume();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('the lab viewer serves GET and HEAD only\n');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'X-Medlb-Lab-Server': name }).end(request.method === 'HEAD' ? undefined : page);
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
