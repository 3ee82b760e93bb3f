// dptrain serve: the page and the MNIST files with the COOP/COEP headers, nothing else of the
// disk, and one-line exit-2 errors for a bad or busy port.
import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { runCli } from "./run-cli.js";

describe("dptrain serve", () => {
  it("serves the page and the MNIST files cross-origin isolated, and nothing else; Ctrl-C ends it with 0", async () => {
    let checks: Promise<void> | null = null;
    const r = await runCli(["serve", "--port", "0"], {
      onStdout: (text, kill) => {
        const url = /serving the training page at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
        if (!url || checks) return;
        checks = (async () => {
          try {
            const page = await fetch(url);
            expect(page.status).toBe(200);
            expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
            expect(page.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
            expect(await page.text()).toContain('<script type="module" src="main.js">');
            const wasm = await fetch(`${url}kernels.wasm`);
            expect(wasm.headers.get("content-type")).toBe("application/wasm");
            const labels = await fetch(`${url}data/mnist/train-labels-idx1-ubyte`);
            expect((await labels.arrayBuffer()).byteLength).toBe(8 + 60000);
            for (const path of ["package.json", "..%2fpackage.json", "data/mnist/..%2f..%2fpackage.json", "data/mnist/other"]) {
              expect((await fetch(`${url}${path}`)).status, path).toBe(404);
            }
            expect((await fetch(url, { method: "POST" })).status).toBe(405);
            expect((await fetch(`${url}%E0%A4%A`)).status).toBe(400);
          } finally {
            kill("SIGINT");
          }
        })();
      },
    });
    await checks;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("a port in use or out of range: one line, exit 2", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await runCli(["serve", "--port", String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`dptrain: --port: expected a free port on 127.0.0.1, found ${port} in use\n`);
    } finally {
      busy.close();
    }
    const big = await runCli(["serve", "--port", "70000"]);
    expect(big.code).toBe(2);
    expect(big.stderr).toBe("dptrain: --port: expected an integer <= 65535, found 70000\n");
    const word = await runCli(["serve", "--port", "http"]);
    expect(word.code).toBe(2);
    expect(word.stderr).toMatch(/^dptrain: --port: expected an integer >= 0, found "http"\n/);
  });
});
