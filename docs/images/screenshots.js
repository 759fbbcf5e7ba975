// Takes the README's pictures of the Aspire dashboard with a real headless Chromium (playwright-core drives the
// Debian chromium; PyPI/Playwright's own browser downloads are not needed). With ./run.sh running and one job done:
//   npm install --prefix /tmp/pw playwright-core@1
//   NODE_PATH=/tmp/pw/node_modules node docs/images/screenshots.js <login-token> <trace-id>
// The token is in run.sh's banner (login?t=…); the trace id is the job's trace_parent (its second field).
const { chromium } = require('playwright-core');
const [token, traceId] = process.argv.slice(2);
const dashboard = 'http://localhost:15080';

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 760 } });
  await page.goto(`${dashboard}/login?t=${token}`);
  await page.waitForLoadState('networkidle');
  for (const [path, file] of [[`/traces/detail/${traceId}`, 'aspire-trace.png'], ['/', 'aspire-resources.png']]) {
    await page.goto(dashboard + path);
    // The dashboard is a Blazor app: its pages fill in over a socket after the load event.
    await page.waitForTimeout(4000);
    await page.screenshot({ path: `${__dirname}/${file}` });
  }
  await browser.close();
})();
